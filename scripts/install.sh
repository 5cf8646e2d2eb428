#!/bin/sh
# archon installer for Linux and macOS (x86_64, arm64), attached to every release:
#
#   curl -fsSL https://github.com/archon-cli/archon/releases/latest/download/install.sh | sh
#   curl -fsSL https://github.com/archon-cli/archon/releases/latest/download/install.sh | sh -s -- --uninstall
#
# It downloads the release archive for this platform and SHA256SUMS, checks the archive's checksum BEFORE
# unpacking it (and its build provenance with `gh attestation verify` when the GitHub CLI is there), checks that the
# unpacked archon runs, then installs it into a versioned folder and switches the `archon` link to it in one rename.
# Anything that fails before that switch leaves the installed version exactly as it was. Never needs root, never
# edits your shell's startup files, never runs archon with telemetry on, and sends nothing itself: the only
# requests are the downloads (and gh's own, when it verifies). `archon version` then says `Install method: curl`.
#
# Environment:
#   ARCHON_VERSION               the version to install, e.g. 1.4.0 (default: the latest release)
#   ARCHON_INSTALL_BASE_URL      where releases are: $ARCHON_INSTALL_BASE_URL/v<version>/ (and latest/) must hold the
#                                files of a GitHub release (default: https://github.com/archon-cli/archon/releases,
#                                as download/v<version>/ and latest/download/); https://, or http:// on loopback only;
#                                host[:port][/path] and nothing else (no user@, no query, no fragment)
#   ARCHON_INSTALL_DIR           where versions are kept (default: ~/.archon/install)
#   ARCHON_BIN_DIR               where the `archon` link goes (default: ~/.local/bin)
#   ARCHON_INSTALL_ATTESTATION   auto (default: verify with gh when it is installed and logged in, else say it was
#                                skipped), require (fail unless gh verifies it), skip
# It trusts nothing it reads back: the link, the receipt beside the version it points to, the base URL, the archive's
# owners and modes; run as root, it refuses a HOME that is not root's (sudo -E). docs/release.md lists each rule.
# See docs/release.md. POSIX sh: runs under dash, bash, zsh's sh mode and macOS's /bin/sh.
set -eu

REPO="archon-cli/archon"
GITHUB_RELEASES="https://github.com/$REPO/releases"
RECEIPT="install-receipt"
NL='
'

say() { printf '%s\n' "$*" >&2; }
step() { printf '  %s\n' "$*" >&2; }
die() {
  printf 'archon installer: error: %s\n' "$1" >&2
  if [ -n "${2:-}" ]; then printf '  %s\n' "$2" >&2; fi
  exit 1
}

usage() {
  cat >&2 <<'EOF'
archon installer: install, upgrade or uninstall the archon standalone binary.

  sh install.sh               install the latest release (or $ARCHON_VERSION), or upgrade to it
  sh install.sh --uninstall   remove what this installer installed, and nothing else
  sh install.sh --help

Environment: ARCHON_VERSION, ARCHON_INSTALL_BASE_URL, ARCHON_INSTALL_DIR (~/.archon/install),
ARCHON_BIN_DIR (~/.local/bin), ARCHON_INSTALL_ATTESTATION (auto|require|skip). See docs/release.md.
EOF
}

# --- where things go -------------------------------------------------------------------------------------------

# Absolute, without a trailing slash; refuses paths a receipt line could not hold.
absolute() {
  case $1 in
    *"$NL"*) die "refusing a path with a line break in it" ;;
    /*) printf '%s' "$1" | sed 's:/*$::' ;;
    *) printf '%s/%s' "$(pwd)" "$1" | sed 's:/*$::' ;;
  esac
}

# Root with a HOME that is not root's (sudo -E, su without -): everything would be made as root in a home that someone
# else controls, and every check here would run with root's rights against files they can change. Refused.
check_home_owner() {
  if [ "$(id -u)" != 0 ]; then return 0; fi
  # shellcheck disable=SC2012 # one known path, and only its owner's number is read
  owner=$(ls -ldnL -- "$HOME" 2>/dev/null | awk '{ print $3 }')
  if [ -n "$owner" ] && [ "$owner" != 0 ]; then
    die "you are root, but HOME ($HOME) belongs to user $owner: refusing to install as root into someone else's home" \
      "Run the installer as that user, without sudo (it never needs root); to install for root, use root's own HOME (sudo -H, or su -)."
  fi
}

resolve_dirs() {
  if [ -z "${HOME:-}" ]; then die "HOME is not set"; fi
  check_home_owner
  INSTALL_DIR="$(absolute "${ARCHON_INSTALL_DIR:-$HOME/.archon/install}")"
  BIN_DIR="$(absolute "${ARCHON_BIN_DIR:-$HOME/.local/bin}")"
  VERSIONS="$INSTALL_DIR/versions"
  LINK="$BIN_DIR/archon"
}

# The directories `mkdir -p DIR` would create, outermost first, one a line.
missing_dirs() {
  dir=$1
  missing=""
  while [ ! -d "$dir" ] && [ "$dir" != "/" ] && [ -n "$dir" ]; do
    missing="$dir$NL$missing"
    dir=$(dirname "$dir")
  done
  printf '%s' "$missing"
}

# mkdir -p, remembering what it created (for --uninstall). ~/.archon is private (0700), as archon makes it.
make_dirs() {
  while IFS= read -r dir; do
    if [ -z "$dir" ]; then continue; fi
    if [ "$dir" = "$HOME/.archon" ]; then mkdir -m 700 "$dir"; else mkdir "$dir"; fi
    CREATED="$CREATED$dir$NL"
  done <<EOF
$(missing_dirs "$1")
EOF
}

# A version in the PEP 440 normal form archon's releases carry (1.4.0, 1.4.0rc1, 1.4.0.post1, 1.4.0.dev2): the only
# names this installer gives version folders, and the only version= its receipts hold. No '/', no '..'.
normal_version() {
  case $1 in
    "" | *"$NL"*) return 1 ;;
  esac
  if [ "${#1}" -gt 64 ]; then return 1; fi
  n='(0|[1-9][0-9]*)'
  printf '%s\n' "$1" | grep -Eq "^$n(\\.$n)*((a|b|rc)$n)?(\\.post$n)?(\\.dev$n)?\$"
}

real_dir() {  # the path of an existing folder with every symbolic link resolved, or nothing
  (cd -P -- "$1" 2>/dev/null && pwd -P) || true
}

# The version a link points to, when it points exactly to $VERSIONS/<version>/archon, <version> being a name this
# installer gives; else nothing.
link_version() {  # link_version LINK
  target=$(readlink "$1") || return 0
  name=${target#"$VERSIONS"/}
  name=${name%/archon}
  if [ "$target" = "$VERSIONS/$name/archon" ] && normal_version "$name"; then printf '%s' "$name"; fi
}

# The version folder a link points to, when link_version accepts its target and that folder is really there,
# inside $VERSIONS (not a link out of it); else nothing.
version_dir_of_link() {  # version_dir_of_link LINK
  if [ ! -L "$1" ]; then return 0; fi
  name=$(link_version "$1")
  if [ -z "$name" ] || [ -L "$VERSIONS/$name" ] || [ ! -d "$VERSIONS/$name" ]; then return 0; fi
  if [ "$(real_dir "$VERSIONS/$name")" != "$(real_dir "$VERSIONS")/$name" ]; then return 0; fi
  printf '%s' "$VERSIONS/$name"
}

# Each folder `make_dirs` may create for $VERSIONS and $BIN_DIR (they and their parents, but /), one a line: the only
# values a receipt's created= may hold.
creatable_dirs() {
  for dir in "$VERSIONS" "$BIN_DIR"; do
    while [ "$dir" != "/" ] && [ -n "$dir" ] && [ "$dir" != "." ]; do
      printf '%s\n' "$dir"
      dir=$(dirname "$dir")
    done
  done
}

# Reads the receipt FILE of the folder of VERSION, as install.sh wrote it, checking every value it will use: exactly
# one channel=curl, exactly one version=VERSION, at most one link= (an absolute path ending in /archon, with no '.'
# or '..' in it; when LINK is given, that one), created= only folders this installer could have made. Other keys are
# ignored, never copied. Sets RECEIPT_CREATED and RECEIPT_LINK, or returns 1 with RECEIPT_WHY.
read_receipt() {  # read_receipt FILE VERSION [LINK]
  RECEIPT_CREATED=""
  RECEIPT_LINK=""
  RECEIPT_WHY="$1 is not a receipt this installer wrote"
  if [ -L "$1" ] || [ ! -f "$1" ]; then
    RECEIPT_WHY="$1 is missing or not a regular file"
    return 1
  fi
  if [ "$(wc -c <"$1" | tr -d ' ')" -gt 16384 ]; then return 1; fi
  creatable=$(creatable_dirs)
  channels=0
  versions=0
  links=0
  while IFS= read -r line || [ -n "$line" ]; do
    value=${line#*=}
    case $line in
      "#"* | "") ;;
      channel=curl) channels=$((channels + 1)) ;;
      channel=*) return 1 ;;
      version=*)
        if [ "$value" != "$2" ]; then return 1; fi
        versions=$((versions + 1))
        ;;
      link=*)
        case $value in
          */./* | */../* | *"$NL"* | *//*) return 1 ;;
          /*/archon) ;;
          *) return 1 ;;
        esac
        if [ -n "${3:-}" ] && [ "$value" != "$3" ]; then return 1; fi
        RECEIPT_LINK=$value
        links=$((links + 1))
        ;;
      created=*)
        case "$NL$creatable$NL" in
          *"$NL$value$NL"*) RECEIPT_CREATED="$RECEIPT_CREATED$value$NL" ;;
          *) return 1 ;;
        esac
        ;;
      [a-z_]*=*) ;;  # a key this installer does not read (a later installer's): ignored, never copied
      *) return 1 ;;
    esac
  done <"$1"
  if [ "$channels" -ne 1 ] || [ "$versions" -ne 1 ] || [ "$links" -gt 1 ]; then return 1; fi
  RECEIPT_WHY=""
}

# The previous install, when $LINK is this installer's: PREVIOUS is its version folder (exactly one folder under
# $VERSIONS, not through a link) whose receipt read_receipt accepts, and RECEIPT_CREATED the folders that receipt
# says were created. Else PREVIOUS is empty and NOT_OURS says why (empty when there is no link at all).
find_previous() {
  PREVIOUS=""
  NOT_OURS=""
  RECEIPT_CREATED=""
  if [ ! -e "$LINK" ] && [ ! -L "$LINK" ]; then return 0; fi
  dir=$(version_dir_of_link "$LINK")
  if [ -z "$dir" ]; then
    NOT_OURS="it does not point to archon in a version folder of $VERSIONS"
    return 0
  fi
  if ! read_receipt "$dir/$RECEIPT" "${dir##*/}" "$LINK"; then
    NOT_OURS=$RECEIPT_WHY
    RECEIPT_CREATED=""
    return 0
  fi
  PREVIOUS=$dir
}

refuse_foreign_link() {
  die "$LINK already exists and was not installed by this installer (another archon: pipx, uv, Homebrew?): $NOT_OURS" \
    "Remove it first, or choose another folder with ARCHON_BIN_DIR=..."
}

# --- downloading and checking ----------------------------------------------------------------------------------

# https://host[:port][/path], or http:// on loopback (127.0.0.1, localhost, [::1]) for tests. Nothing else: no user
# name or password (curl would fetch from what follows the '@'), no query, no fragment, no character a URL parser
# could read two ways.
check_base_url() {
  case $1 in
    *"$NL"*) die "ARCHON_INSTALL_BASE_URL must be one line" ;;
    http://*@* | https://*@*) die "ARCHON_INSTALL_BASE_URL must not hold a user name or password (user@host): $1" ;;
  esac
  label='[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?'
  tail='(:[0-9]{1,5})?(/[A-Za-z0-9._~%+/-]*)?$'
  if printf '%s\n' "$1" | grep -Eq "^https://($label(\\.$label)*|\\[[0-9A-Fa-f:.]+\\])$tail"; then return 0; fi
  if printf '%s\n' "$1" | grep -Eq "^http://(127\\.0\\.0\\.1|localhost|\\[::1\\])$tail"; then return 0; fi
  die "ARCHON_INSTALL_BASE_URL must be an https:// URL (plain http:// only on loopback, for tests), with a host and no user, query or fragment: $1"
}

download() {  # download URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl --proto '=https,http' --proto-redir '=https' --fail --location --silent --show-error --retry 2 \
      --output "$2" "$1" || die "could not download $1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --output-document="$2" "$1" || die "could not download $1"
  else
    die "neither curl nor wget is installed; install one of them and run this again"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sum=$(sha256sum "$1")
  elif command -v shasum >/dev/null 2>&1; then
    sum=$(shasum -a 256 "$1")
  elif command -v openssl >/dev/null 2>&1; then
    sum=$(openssl dgst -sha256 -r "$1")
  else
    die "no SHA-256 tool found (sha256sum, shasum or openssl); cannot check the download"
  fi
  printf '%s' "${sum%% *}" | tr 'A-F' 'a-f'
}

# The digest SHA256SUMS lists for NAME; refuses none, several, or one that is not a SHA-256 digest.
expected_digest() {  # expected_digest SUMS NAME
  found=$(awk -v name="$2" '$2 == name || $2 == ("*" name) { print $1 }' "$1")
  case $found in
    "") die "SHA256SUMS has no entry for $2: refusing to install an archive that cannot be checked (nothing was changed)" ;;
    *"$NL"*) die "SHA256SUMS has more than one entry for $2: refusing to install (nothing was changed)" ;;
  esac
  found=$(printf '%s' "$found" | tr 'A-F' 'a-f')
  case $found in
    *[!0-9a-f]*) die "SHA256SUMS's entry for $2 is not a SHA-256 digest: refusing to install (nothing was changed)" ;;
  esac
  if [ "${#found}" -ne 64 ]; then
    die "SHA256SUMS's entry for $2 is not a SHA-256 digest: refusing to install (nothing was changed)"
  fi
  printf '%s' "$found"
}

verify_checksum() {  # verify_checksum FILE NAME EXPECTED
  actual=$(sha256_of "$1")
  if [ "$actual" != "$3" ]; then
    die "checksum mismatch for $2: refusing to install it (nothing was changed)" \
      "SHA256SUMS says $3, the download is $actual. Try again; if it persists, report it: https://github.com/$REPO/issues"
  fi
  step "checksum: OK (sha256 $actual)"
}

attestation_mode() {
  mode=${ARCHON_INSTALL_ATTESTATION:-auto}
  case $mode in
    auto | require | skip) printf '%s' "$mode" ;;
    *) die "ARCHON_INSTALL_ATTESTATION must be auto, require or skip, not '$mode'" ;;
  esac
}

verify_provenance() {  # verify_provenance FILE NAME
  mode=$(attestation_mode)
  manual="gh attestation verify $2 --repo $REPO"
  if [ "$mode" = skip ]; then
    step "provenance: not checked (ARCHON_INSTALL_ATTESTATION=skip)"
    return 0
  fi
  why=""
  if ! command -v gh >/dev/null 2>&1; then
    why="the GitHub CLI (gh) is not installed"
  elif ! gh auth status >/dev/null 2>&1; then
    why="the GitHub CLI (gh) is not logged in (gh auth login)"
  fi
  if [ -n "$why" ]; then
    if [ "$mode" = require ]; then
      die "ARCHON_INSTALL_ATTESTATION=require, but $why: refusing to install (nothing was changed)"
    fi
    step "provenance: NOT checked: $why. The checksum above was checked; to check who built it too: $manual"
    return 0
  fi
  if ! gh attestation verify "$1" --repo "$REPO" >"$WORK/gh.log" 2>&1; then
    sed 's/^/    gh: /' "$WORK/gh.log" >&2
    die "gh attestation verify failed for $2: refusing to install it (nothing was changed)"
  fi
  step "provenance: verified (gh attestation verify --repo $REPO)"
}

# --- this machine ----------------------------------------------------------------------------------------------

detect_target() {
  os=$(uname -s)
  machine=$(uname -m)
  case $os in
    Linux) os=linux ;;
    Darwin) os=macos ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      die "this is the installer for Linux and macOS; on Windows, in PowerShell, run:" \
        "powershell -ExecutionPolicy ByPass -c \"irm $GITHUB_RELEASES/latest/download/install.ps1 | iex\""
      ;;
    *) die "archon has no standalone binary for $os; install the Python package instead: pipx install archon-cli" ;;
  esac
  case $machine in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "archon has no standalone binary for $machine; install the Python package instead: pipx install archon-cli" ;;
  esac
  # An x86_64 shell on Apple silicon runs under Rosetta 2: install the native build.
  if [ "$os" = macos ] && [ "$arch" = x86_64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
    arch=arm64
    step "Rosetta 2 detected: installing the native arm64 build"
  fi
  if [ "$os" = linux ]; then
    if ls /lib/ld-musl-* >/dev/null 2>&1 && ! ls /lib*/ld-linux-* /lib/*/ld-linux-* >/dev/null 2>&1; then
      die "this Linux uses musl libc; archon's binary needs glibc 2.28 or newer. Use: pipx install archon-cli"
    fi
    glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | sed -n 's/^glibc \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
    if [ -n "$glibc" ]; then
      # shellcheck disable=SC2086 # split "major minor" on purpose
      set -- $glibc
      if [ "$1" -lt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -lt 28 ]; }; then
        die "archon's binary needs glibc 2.28 or newer, this system has $1.$2. Use: pipx install archon-cli"
      fi
    fi
  fi
  TARGET="$os-$arch"
}

release_url() {
  base=${ARCHON_INSTALL_BASE_URL:-}
  if [ -n "$base" ]; then
    base=${base%/}
    check_base_url "$base"
    if [ -n "$WANTED" ]; then printf '%s/v%s' "$base" "$WANTED"; else printf '%s/latest' "$base"; fi
  elif [ -n "$WANTED" ]; then
    printf '%s/download/v%s' "$GITHUB_RELEASES" "$WANTED"
  else
    printf '%s/latest/download' "$GITHUB_RELEASES"
  fi
}

valid_version() {
  case $1 in
    "" | .* | *[!0-9A-Za-z.+-]*) return 1 ;;
  esac
  case $1 in
    [0-9]*) return 0 ;;
  esac
  return 1
}

# Runs an archon once, as a check, in a throwaway home with telemetry off every way there is: prints the version it
# reports, or fails (its errors in $WORK/check.log).
run_version() {
  mkdir -p "$WORK/check-home"
  out=$(ARCHON_HOME="$WORK/check-home" DO_NOT_TRACK=1 ARCHON_TELEMETRY=off ARCHON_TELEMETRY_DISABLED=1 \
    ARCHON_TELEMETRY_DEBUG=0 "$1" version 2>"$WORK/check.log") || return 1
  first=$(printf '%s\n' "$out" | sed -n '1p')
  printf '%s' "${first#archon }"
}

# --- install ---------------------------------------------------------------------------------------------------

cleanup() {
  if [ -n "${WORK:-}" ]; then rm -rf "$WORK"; fi
  if [ -n "${STAGE:-}" ]; then rm -rf "$STAGE"; fi
  if [ -n "${NEW_LINK:-}" ]; then rm -f "$NEW_LINK"; fi
}

write_receipt() {  # write_receipt FOLDER VERSION: the receipt archon reads (channel) and --uninstall reads (the rest)
  {
    echo "# Written by archon's install.sh. archon reads only 'channel'; install.sh --uninstall reads the rest."
    echo "channel=curl"
    echo "version=$2"
    echo "target=$TARGET"
    echo "link=$LINK"
    printf '%s' "$CREATED" | sed -n 's/^\(..*\)$/created=\1/p'
  } >"$1/$RECEIPT"
}

install() {
  resolve_dirs
  WANTED=${ARCHON_VERSION:-}
  WANTED=${WANTED#v}
  if [ -n "$WANTED" ] && ! valid_version "$WANTED"; then die "ARCHON_VERSION is not a version: $ARCHON_VERSION"; fi
  attestation_mode >/dev/null
  find_previous
  if [ -n "$NOT_OURS" ]; then refuse_foreign_link; fi
  detect_target
  url=$(release_url)
  archive="archon-$TARGET.tar.gz"
  say "archon installer: archon ${WANTED:-(latest)} for $TARGET, from $url/"

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/archon-install.XXXXXX")
  download "$url/SHA256SUMS" "$WORK/SHA256SUMS"
  expected=$(expected_digest "$WORK/SHA256SUMS" "$archive")
  download "$url/$archive" "$WORK/$archive"
  step "downloaded SHA256SUMS and $archive ($(wc -c <"$WORK/$archive" | tr -d ' ') bytes)"
  verify_checksum "$WORK/$archive" "$archive" "$expected"
  verify_provenance "$WORK/$archive" "$archive"

  mkdir "$WORK/unpacked"
  # The files are the user's, with the user's umask, whoever built the archive: no archive owner, no setuid bit,
  # even when run as root (GNU tar and bsdtar both take these two flags).
  tar -x -z --no-same-owner --no-same-permissions -f "$WORK/$archive" -C "$WORK/unpacked" ||
    die "could not unpack $archive"
  bundle="$WORK/unpacked/archon-$TARGET"
  if [ ! -f "$bundle/archon" ] || [ ! -x "$bundle/archon" ]; then die "$archive does not hold archon-$TARGET/archon"; fi
  if ! version=$(run_version "$bundle/archon"); then
    sed 's/^/    /' "$WORK/check.log" >&2
    die "the downloaded archon does not run on this system: nothing was changed" \
      "If this machine is too old for the binary, install the Python package instead: pipx install archon-cli"
  fi
  if ! normal_version "$version"; then die "the downloaded archon reports an unexpected version: $version"; fi
  if [ -n "$WANTED" ] && [ "$version" != "$WANTED" ]; then
    die "asked for archon $WANTED, but the download is archon $version: refusing to install it"
  fi
  step "unpacked; it runs: archon $version (checked with telemetry off, in a throwaway home)"

  find_previous  # again: what is there now is what the switch replaces
  if [ -n "$NOT_OURS" ]; then refuse_foreign_link; fi
  previous=$PREVIOUS
  CREATED=$RECEIPT_CREATED  # checked, one a line: only these are carried into the new receipt
  make_dirs "$VERSIONS"
  make_dirs "$BIN_DIR"
  for stale in "$VERSIONS"/.incoming-* "$VERSIONS"/.old-*; do  # left by an installer that was killed
    if [ -e "$stale" ]; then rm -rf "$stale"; fi
  done

  dest="$VERSIONS/$version"
  if [ "$previous" = "$dest" ] && [ -f "$dest/$RECEIPT" ] && [ "$(run_version "$dest/archon" || true)" = "$version" ]; then
    say "archon $version is already installed at $dest; nothing to change."
    report_path
    return 0
  fi
  STAGE="$VERSIONS/.incoming-$version.$$"
  mv "$bundle" "$STAGE"
  write_receipt "$STAGE" "$version"
  if [ -e "$dest" ]; then  # an earlier, broken copy of this same version
    mv "$dest" "$VERSIONS/.old-$version.$$"
  fi
  mv "$STAGE" "$dest"
  STAGE=""

  # The switch: a new link, renamed over the old one in one step (rename(2) replaces the link, not its target).
  NEW_LINK="$BIN_DIR/.archon.new.$$"
  ln -s "$dest/archon" "$NEW_LINK"
  mv -f "$NEW_LINK" "$LINK"
  NEW_LINK=""

  if [ -n "$previous" ] && [ "$previous" != "$dest" ]; then rm -rf "$previous"; fi
  rm -rf "$VERSIONS/.old-$version.$$"
  if [ -n "$previous" ] && [ "$previous" != "$dest" ]; then
    say "upgraded: archon $(basename "$previous") -> $version, in $dest"
  else
    say "installed archon $version in $dest"
  fi
  say "linked $LINK -> $dest/archon"
  report_path
}

report_path() {
  case ":${PATH:-}:" in
    *":$BIN_DIR:"*)
      found=$(command -v archon 2>/dev/null || true)
      if [ -n "$found" ] && [ "$found" != "$LINK" ]; then
        say "note: 'archon' on your PATH is $found, which comes before $LINK"
      fi
      ;;
    *)
      say "$BIN_DIR is not on your PATH. Add it in your shell's startup file:"
      say "  bash/zsh: export PATH=\"$BIN_DIR:\$PATH\"     fish: fish_add_path $BIN_DIR"
      ;;
  esac
  say "Run 'archon version' to check it; shell completion: 'archon completion --help'."
}

# --- uninstall -------------------------------------------------------------------------------------------------

uninstall() {
  resolve_dirs
  find_previous  # the linked version, if the link is ours; its receipt says what was created
  created=$RECEIPT_CREATED
  links="$LINK"
  receipts=""
  for dir in "$VERSIONS"/* "$VERSIONS"/.incoming-* "$VERSIONS"/.old-*; do
    if [ -L "$dir" ] || [ ! -d "$dir" ]; then continue; fi
    name=${dir##*/}
    case $name in
      .incoming-* | .old-*) name=${name#.incoming-} && name=${name#.old-} && name=${name%.*} ;;
    esac
    if read_receipt "$dir/$RECEIPT" "$name"; then
      receipts="$receipts$dir$NL"
      if [ -z "$PREVIOUS" ] && [ -z "$created" ]; then created=$RECEIPT_CREATED; fi
      links="$links$NL$RECEIPT_LINK"
    else
      say "left $dir alone: $RECEIPT_WHY"
    fi
  done
  if [ -z "$PREVIOUS" ] && [ -z "$receipts" ]; then
    say "archon installer: nothing to uninstall: no archon installed by this installer in $INSTALL_DIR"
    return 0
  fi
  while IFS= read -r link; do  # only links to archon in one of our own version folders
    if [ -n "$link" ] && [ -L "$link" ] && [ -n "$(link_version "$link")" ]; then
      rm -f "$link" && say "removed $link"
    fi
  done <<EOF
$links
EOF
  while IFS= read -r dir; do
    if [ -n "$dir" ]; then rm -rf "$dir" && say "removed $dir"; fi
  done <<EOF
$receipts
EOF
  rmdir "$VERSIONS" 2>/dev/null || true
  rmdir "$INSTALL_DIR" 2>/dev/null || true
  # The folders the installer created, innermost first, if nothing else has been put in them since.
  while IFS= read -r dir; do
    if [ -n "$dir" ] && [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; then say "removed $dir (the installer created it)"; fi
  done <<EOF
$(printf '%s\n' "$created" | sed -n '1!G;h;$p')
EOF
  if [ -d "$HOME/.archon" ]; then
    say "kept $HOME/.archon: it holds archon's own settings and telemetry files. Delete it to remove them too."
  fi
  say "archon is uninstalled."
}

main() {
  case "${1:-}" in
    "") action=install ;;
    --uninstall) action=uninstall ;;
    -h | --help) usage && exit 0 ;;
    *) usage && die "unknown argument: $1" ;;
  esac
  if [ "$#" -gt 1 ]; then usage && die "one argument at most"; fi
  WORK=""
  STAGE=""
  NEW_LINK=""
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$action"
}

main "$@"
