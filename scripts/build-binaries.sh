#!/usr/bin/env bash
# The release pipeline, end to end (Linux, macOS, and Windows through Git Bash):
#   1. the sdist, and the wheel built from it (python -m build; the hatch hook embeds the constants in the wheel
#      only, and records the commit in the sdist), checked with `twine check --strict`
#   2. the standalone binary (PyInstaller, build_tools/archon.spec, onedir layout) with LICENSE, a generated
#      THIRD_PARTY_LICENSES and the bash, zsh and fish completion scripts (completions/) beside it; on Linux the
#      glibc it needs (build_tools/glibc_floor.py); its archive
#   3. SHA256SUMS, and a smoke test: the binary runs `archon version` and must report what was embedded.
# Output: dist/ (or $ARCHON_DIST_DIR). Nothing is written into the work tree, even when a step fails; the script
# checks that with `git status` at the end. See docs/release.md.
#
# Build inputs (environment):
#   POSTHOG_PUBLIC_KEY          PostHog project key (phc_...). Unset: a telemetry-free build (a warning says so).
#   POSTHOG_HOST                https:// ingest URL (the reverse proxy); default: build_tools/constants.py's default.
#   VERSION                     the version of every artefact, PEP 440-normalised (a tag v1.4.0-rc.1 -> 1.4.0rc1);
#                               default: [tool.archon] version in pyproject.toml.
#   GIT_COMMIT                  default: git rev-parse HEAD; cut to 8 characters.
#   ARCHON_REQUIRE_POSTHOG_KEY  1 in release builds: fail without a key.
#   ARCHON_MAX_GLIBC            Linux: fail if the binary needs a newer glibc than this (release.yml: 2.28).
#   ARCHON_DIST_DIR             where the artefacts go (default: dist).
#   ARCHON_PYTHON               an interpreter with the dev tools installed, instead of bootstrapping .venv
#                               (scripts/_venv.sh, from uv.lock; see its header for PYTHON and UV_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }
fail() { printf 'build-binaries: error: %s\n' "$*" >&2; exit 1; }

in_git() { command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; }
tree_state() { if in_git; then git status --porcelain --untracked-files=all; fi; }

TREE_BEFORE="$(tree_state)"
tree_unchanged() {
  local now
  now="$(tree_state)"
  [ "$now" = "$TREE_BEFORE" ] && return 0
  printf 'build-binaries: error: the work tree changed during the build (git status before -> after):\n' >&2
  diff <(printf '%s\n' "$TREE_BEFORE") <(printf '%s\n' "$now") >&2 || true
  return 1
}
WORK="$(mktemp -d "${TMPDIR:-/tmp}/archon-build.XXXXXX")"
PUBLISHED=0
finish() {
  local status=$?
  trap - EXIT
  rm -rf "$WORK"
  if [ "$PUBLISHED" = 0 ] && [ "$status" -ne 0 ]; then
    tree_unchanged || true
    printf '\nbuild-binaries: FAILED (exit %s); nothing was written to %s\n' "$status" "${DIST_DIR:-dist}" >&2
  fi
  exit "$status"
}
trap finish EXIT

step "environment"
if [ -n "${ARCHON_PYTHON:-}" ]; then
  PY="$ARCHON_PYTHON"
else
  # shellcheck source=scripts/_venv.sh
  . scripts/_venv.sh
  PY="$VENV_BIN/python"
fi
"$PY" --version >&2
export PYTHONHASHSEED=0  # reproducible PyInstaller builds
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && in_git; then
  SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"
fi
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-315532800}"
DIST_DIR="${ARCHON_DIST_DIR:-dist}"

step "build-time constants"
# Resolve and validate once, up front (a refused key fails here, in seconds), then hand the resolved VERSION and
# GIT_COMMIT to every build, so the wheel (built from the sdist, outside git) and the binary agree.
# (tr: Python on Windows ends its lines with \r\n)
resolved="$("$PY" - <<'PYEOF' | tr -d '\r'
import os, sys
from pathlib import Path
from build_tools.constants import BuildConstantsError, constants_from_env, resolve_version, source_commit
try:
    constants, warnings = constants_from_env(
        os.environ, is_binary=True, version=resolve_version(os.environ, Path.cwd()),
        commit_of=lambda: source_commit(Path.cwd()),
    )
except BuildConstantsError as exc:
    sys.exit(f"build-binaries: error: {exc}")
for warning in warnings:
    print(f"build-binaries: WARNING: {warning}", file=sys.stderr)
print(constants.version, constants.git_commit, "embedded" if constants.posthog_key else "none", constants.posthog_host)
PYEOF
)" || exit 1
read -r VERSION GIT_COMMIT KEY_STATE HOST <<<"$resolved"
export VERSION GIT_COMMIT
printf 'version %s, commit %s, telemetry key %s, host %s\n' "$VERSION" "$GIT_COMMIT" "$KEY_STATE" "$HOST" >&2

step "sdist and wheel (python -m build)"
"$PY" -m build --no-isolation --outdir "$WORK/out" . >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; fail "python -m build failed"; }
grep -E '^(archon build|Successfully built)' "$WORK/build.log" >&2 || true
WHEEL="$(cd "$WORK/out" && ls archon_cli-*.whl)" || fail "python -m build produced no wheel"
SDIST="$(cd "$WORK/out" && ls archon_cli-*.tar.gz)" || fail "python -m build produced no sdist"
[ "$WHEEL" = "archon_cli-$VERSION-py3-none-any.whl" ] || fail "the wheel $WHEEL is not version $VERSION"
[ "$SDIST" = "archon_cli-$VERSION.tar.gz" ] || fail "the sdist $SDIST is not version $VERSION"
"$PY" -m twine check --strict "$WORK/out/$WHEEL" "$WORK/out/$SDIST" >&2 || fail "twine check --strict refused the wheel or the sdist"

step "standalone binary (PyInstaller, build_tools/archon.spec)"
read -r TARGET SUFFIX <<<"$("$PY" -m build_tools.artifacts target | tr -d '\r')"
NAME="archon-$TARGET"
"$PY" -m PyInstaller --noconfirm --log-level WARN --workpath "$WORK/pyinstaller" --distpath "$WORK/frozen" \
  build_tools/archon.spec -- --onedir >"$WORK/pyinstaller.log" 2>&1 || { cat "$WORK/pyinstaller.log" >&2; fail "PyInstaller failed"; }
grep '^archon build' "$WORK/pyinstaller.log" >&2 || true
mv "$WORK/frozen/archon" "$WORK/out/$NAME"
EXE="$WORK/out/$NAME/archon"
[ -f "$EXE.exe" ] && EXE="$EXE.exe"
[ -x "$EXE" ] || fail "PyInstaller produced no executable at $EXE"
# Files the archive carries beside the executable: the spec writes LICENSE and THIRD_PARTY_LICENSES; the completion
# scripts are the frozen binary's own `archon completion <shell>` (telemetry off, in a scratch home), so they complete
# exactly this binary's commands. Never an install receipt: install.sh, install.ps1 and the Homebrew formula write
# the one naming their channel, so the archive is the same for every channel. (tr: \r\n on Windows)
mkdir "$WORK/out/$NAME/completions"
for pair in bash:archon.bash zsh:_archon fish:archon.fish; do
  ARCHON_HOME="$WORK/completion-home" DO_NOT_TRACK=1 "$EXE" completion "${pair%%:*}" | tr -d '\r' \
    >"$WORK/out/$NAME/completions/${pair#*:}" || fail "the binary's 'archon completion ${pair%%:*}' failed"
done
for file in LICENSE THIRD_PARTY_LICENSES completions/archon.bash completions/_archon completions/archon.fish; do
  [ -s "$WORK/out/$NAME/$file" ] || fail "the binary's folder lacks $file"
done

if [ "${TARGET%%-*}" = linux ]; then
  step "glibc floor (build_tools/glibc_floor.py)"
  "$PY" -m build_tools.glibc_floor "$WORK/out/$NAME" ${ARCHON_MAX_GLIBC:+--max "$ARCHON_MAX_GLIBC"} |
    sed 's/^/glibc floor: /' >&2 || fail "the glibc floor check failed (above; ARCHON_MAX_GLIBC=${ARCHON_MAX_GLIBC:-unset})"
fi

step "archive: $NAME$SUFFIX"
"$PY" -m build_tools.artifacts archive "$WORK/out/$NAME" "$WORK/out/$NAME$SUFFIX"

step "smoke test: $NAME/archon version"
mkdir -p "$WORK/home"
out="$(ARCHON_HOME="$WORK/home" DO_NOT_TRACK=1 "$EXE" version | tr -d '\r')" || fail "the binary did not run"
printf '%s\n' "$out" >&2
expect() { printf '%s\n' "$out" | grep -Fxq -- "$1" || fail "the binary's 'archon version' lacks the line: $1"; }
expect "archon $VERSION"
expect "Build: binary"
expect "Install method: binary"
expect "Git commit: $GIT_COMMIT"
if [ "$KEY_STATE" = embedded ]; then expect "Telemetry key: embedded"; else expect "Telemetry key: none (development build)"; fi
ARCHON_HOME="$WORK/home" DO_NOT_TRACK=1 "$EXE" --help >/dev/null || fail "the binary's 'archon --help' failed"

step "SHA256SUMS"
"$PY" -m build_tools.artifacts sums "$WORK/out/SHA256SUMS" "$WORK/out/$WHEEL" "$WORK/out/$SDIST" "$WORK/out/$NAME$SUFFIX"
cat "$WORK/out/SHA256SUMS" >&2

step "work tree check (git status)"
tree_unchanged || fail "refusing to publish artefacts from a build that wrote into the work tree"
echo "unchanged" >&2

step "into $DIST_DIR/"
mkdir -p "$DIST_DIR"
for old in "$DIST_DIR"/archon-* "$DIST_DIR"/archon_cli-* "$DIST_DIR"/SHA256SUMS; do  # an earlier run's artefacts would not match the sums
  if [ -e "$old" ] || [ -L "$old" ]; then rm -rf "$old"; fi
done
PUBLISHED=1
mv "$WORK"/out/* "$DIST_DIR"/
ls -1 "$DIST_DIR" >&2
step "done: $DIST_DIR/$WHEEL, $DIST_DIR/$SDIST, $DIST_DIR/$NAME$SUFFIX (unpacked: $DIST_DIR/$NAME/), $DIST_DIR/SHA256SUMS"
