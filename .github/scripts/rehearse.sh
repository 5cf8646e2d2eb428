#!/usr/bin/env bash
# Rehearse what is about to be published (release.yml's rehearse and smoke-linux jobs, before any publishing job):
# the exact release files, installed the way users install them, then run.
#
#   rehearse.sh packages DIR          DIR's wheel and sdist (archon_cli-VERSION*), each installed with pip (a fresh
#                                     venv), pipx and uv (uv tool install), every one in a home and folders of its own
#   rehearse.sh archive DIR TARGET    DIR/archon-TARGET.tar.gz (.zip for windows-*), checked against DIR/SHA256SUMS
#                                     before it is unpacked, then the unpacked binary as it is
#
# Every archon then runs, with telemetry off and a throwaway ARCHON_HOME: `archon version`, which must say VERSION,
# COMMIT, the build kind (source for a wheel, binary for an archive), the install method (pip, pipx, uv, binary) and
# whether a telemetry key is embedded; `archon workflow run archon-assist --dry-run`; `archon telemetry status`.
#
# Inputs (environment):
#   VERSION   the version every file must report (the gate's, PEP 440 normal form)           required
#   COMMIT    the commit they were built from (its first 8 hex digits are compared); default GITHUB_SHA
#   KEY       embedded | none: what the wheel and the binary must say (a tag's release embeds the project key, a
#             dry run none). The sdist never carries a key, so what pip, pipx and uv build from it says none.
#   PYTHON    the interpreter that makes pip's venv (default python3); pipx and uv use it too
#   PIPX, UV  the pipx and uv to use (default: pipx, uv on PATH)
#   CHANNELS  which installers to rehearse (default "pip pipx uv")
set -euo pipefail

fail() { printf 'rehearse: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }

[ -n "${VERSION:-}" ] || fail "VERSION is not set"
COMMIT="${COMMIT:-${GITHUB_SHA:-}}"
[[ "$COMMIT" =~ ^[0-9a-f]{8}([0-9a-f]{32})?$ ]] || fail "COMMIT must be a commit (8 or 40 hex digits), not: ${COMMIT:-<unset>}"
COMMIT="${COMMIT:0:8}"
case "${KEY:-}" in embedded | none) ;; *) fail "KEY must be embedded or none, not: ${KEY:-<unset>}" ;; esac
PYTHON="${PYTHON:-python3}"
PIPX="${PIPX:-pipx}"
UV="${UV:-uv}"
CHANNELS="${CHANNELS:-pip pipx uv}"

WORK="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rehearse.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

exe() { # DIR: the archon executable in DIR (archon.exe on Windows)
  if [ -f "$1/archon.exe" ]; then echo "$1/archon.exe"; else echo "$1/archon"; fi
}

expect_line() { # TEXT LINE WHAT
  printf '%s\n' "$1" | grep -Fxq -- "$2" || fail "$3: expected the line '$2' in:"$'\n'"$1"
}

# check EXECUTABLE WHAT BUILD METHOD KEY: run the three commands and check what they say.
check() {
  local archon="$1" what="$2" build="$3" method="$4" key="$5" out key_line
  local home="$WORK/archon-home-${what//[^A-Za-z0-9]/-}"
  [ -f "$archon" ] || fail "$what: no archon executable at $archon"
  out="$(DO_NOT_TRACK=1 ARCHON_HOME="$home" "$archon" version)" || fail "$what: archon version failed"
  printf '%s\n' "$out" | sed "s/^/    [$what] /" >&2
  expect_line "$out" "archon $VERSION" "$what"
  expect_line "$out" "Build: $build" "$what"
  expect_line "$out" "Install method: $method" "$what"
  expect_line "$out" "Git commit: $COMMIT" "$what"
  if [ "$key" = embedded ]; then key_line="Telemetry key: embedded"; else key_line="Telemetry key: none (development build)"; fi
  expect_line "$out" "$key_line" "$what"
  out="$(DO_NOT_TRACK=1 ARCHON_HOME="$home" "$archon" workflow run archon-assist --dry-run 2>&1)" ||
    fail "$what: archon workflow run archon-assist --dry-run failed:"$'\n'"$out"
  printf '%s\n' "$out" | grep -q "archon-assist" || fail "$what: the dry run does not name the workflow:"$'\n'"$out"
  out="$(DO_NOT_TRACK=1 ARCHON_HOME="$home" "$archon" telemetry status 2>&1)" || fail "$what: archon telemetry status failed"
  printf '%s\n' "$out" | grep -Eq '^Telemetry: +off' || fail "$what: telemetry status does not say off:"$'\n'"$out"
  if [ "$key" = embedded ]; then key_line='^Key: +phc_.*\(embedded at build time\)$'; else key_line='^Key: +none: development build$'; fi
  printf '%s\n' "$out" | grep -Eq "$key_line" || fail "$what: telemetry status shows the wrong key:"$'\n'"$out"
  say "$what: archon $VERSION ($build, $method, key $key) runs"
}

# install CHANNEL FILE NAME: install FILE with CHANNEL into its own folders; prints the folder holding `archon`.
install() {
  local channel="$1" file="$2" name="$3" root="$WORK/$3"
  mkdir -p "$root"
  case "$channel" in
    pip)
      "$PYTHON" -m venv "$root/venv" >&2
      local python
      python="$root/venv/bin/python"
      [ -x "$python" ] || python="$root/venv/Scripts/python.exe"
      "$python" -m pip install --quiet --disable-pip-version-check "$file" >&2
      dirname "$(exe "$(dirname "$python")")"
      ;;
    pipx)
      PIPX_HOME="$root/pipx" PIPX_BIN_DIR="$root/bin" PIPX_MAN_DIR="$root/man" \
        "$PIPX" install --python "$PYTHON" "$file" >&2
      echo "$root/bin"
      ;;
    uv)
      UV_TOOL_DIR="$root/tools" UV_TOOL_BIN_DIR="$root/bin" UV_PYTHON_DOWNLOADS=never \
        "$UV" tool install --quiet --python "$PYTHON" "$file" >&2
      echo "$root/bin"
      ;;
    *) fail "unknown channel: $channel" ;;
  esac
}

packages() {
  local dir="$1" wheel sdist channel kind file key
  wheel="$dir/archon_cli-$VERSION-py3-none-any.whl"
  sdist="$dir/archon_cli-$VERSION.tar.gz"
  [ -f "$wheel" ] || fail "no wheel for $VERSION in $dir: $(ls "$dir")"
  [ -f "$sdist" ] || fail "no sdist for $VERSION in $dir: $(ls "$dir")"
  for kind in wheel sdist; do
    if [ "$kind" = wheel ]; then file="$wheel" key="$KEY"; else file="$sdist" key=none; fi
    for channel in $CHANNELS; do
      say "$kind with $channel: $(basename "$file")"
      check "$(exe "$(install "$channel" "$file" "$kind-$channel")")" "$kind with $channel" source "$channel" "$key"
    done
  done
}

archive() {
  local dir="$1" target="$2" name
  [[ "$target" =~ ^(linux|macos|windows)-(x86_64|arm64)$ ]] || fail "not a release target: $target"
  if [ "${target%%-*}" = windows ]; then name="archon-$target.zip"; else name="archon-$target.tar.gz"; fi
  [ -f "$dir/$name" ] || fail "no $name in $dir"
  grep -Eq "^[0-9a-f]{64}  $name\$" "$dir/SHA256SUMS" || fail "SHA256SUMS has no entry for $name"
  say "$name: checksum, before unpacking"
  local sum=(sha256sum)
  command -v sha256sum >/dev/null 2>&1 || sum=(shasum -a 256) # macOS
  (cd "$dir" && grep -E "  $name\$" SHA256SUMS | "${sum[@]}" --check --strict) >&2 || fail "$name does not match SHA256SUMS"
  mkdir "$WORK/unpacked"
  if [ "${name##*.}" = zip ]; then
    "$PYTHON" -m zipfile -e "$dir/$name" "$WORK/unpacked"
  else
    tar -xzf "$dir/$name" -C "$WORK/unpacked"
  fi
  local folder="$WORK/unpacked/archon-$target"
  for file in LICENSE THIRD_PARTY_LICENSES completions/archon.bash completions/_archon completions/archon.fish; do
    [ -s "$folder/$file" ] || fail "$name: no $file"
  done
  [ ! -e "$folder/install-receipt" ] || fail "$name carries an install receipt" # the installers write it
  check "$(exe "$folder")" "$name" binary binary "$KEY"
}

case "${1:-}" in
  packages) [ $# -eq 2 ] || fail "usage: rehearse.sh packages DIR"; packages "$(cd "$2" && pwd)" ;;
  archive) [ $# -eq 3 ] || fail "usage: rehearse.sh archive DIR TARGET"; archive "$(cd "$2" && pwd)" "$3" ;;
  *) fail "usage: rehearse.sh packages DIR | archive DIR TARGET" ;;
esac
