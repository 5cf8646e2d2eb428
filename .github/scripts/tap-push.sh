#!/usr/bin/env bash
# Push the rendered Homebrew formula to the tap (release.yml's homebrew-push job, the last step of a release), so
# that a re-run on the same tag changes nothing and an old tag never takes the tap back:
#   the tap has no formula, or an older version    commit Formula/archon.rb and push it to main
#   the tap's formula is this version              nothing (a differing one is left as it is, with a warning:
#                                                   someone changed it by hand, or the release changed)
#   the tap's formula is a newer version           nothing (a re-run of an older tag)
# The token reaches git only through a credential helper that reads it from the environment: never on a command
# line, in .git/config or in a remote URL (the tap is public, so the clone needs none).
#
# Inputs (environment): VERSION (the gate's), TAP_TOKEN (push only), FORMULA (default formula/archon.rb),
#   TAP_URL (default https://github.com/archon-cli/homebrew-tap.git), TAP_DIR (default tap).
set -euo pipefail

fail() { printf 'tap-push: %s\n' "$*" >&2; exit 1; }
say() { printf 'tap-push: %s\n' "$*" >&2; }

[ -n "${VERSION:-}" ] || fail "VERSION is not set"
FORMULA="${FORMULA:-formula/archon.rb}"
TAP_URL="${TAP_URL:-https://github.com/archon-cli/homebrew-tap.git}"
TAP_DIR="${TAP_DIR:-tap}"
[ -f "$FORMULA" ] || fail "no formula at $FORMULA"

formula_version() { sed -n 's/^  version "\(.*\)"$/\1/p' "$1" | head -n 1; }
[ "$(formula_version "$FORMULA")" = "$VERSION" ] || fail "$FORMULA is not version $VERSION"

git clone --quiet --depth 1 "$TAP_URL" "$TAP_DIR"
there=""
if [ -f "$TAP_DIR/Formula/archon.rb" ]; then there="$(formula_version "$TAP_DIR/Formula/archon.rb")"; fi

if [ "$there" = "$VERSION" ]; then
  if cmp -s "$FORMULA" "$TAP_DIR/Formula/archon.rb"; then
    say "the tap already has archon $VERSION, identical: nothing to do"
  else
    echo "::warning::the tap's Formula/archon.rb is archon $VERSION but differs from this release's; left as it is"
  fi
  exit 0
fi
if [ -n "$there" ] && [ "$(printf '%s\n%s\n' "$there" "$VERSION" | sort -V | tail -n 1)" = "$there" ]; then
  say "the tap has archon $there, newer than $VERSION: nothing to do (an older tag never takes the tap back)"
  exit 0
fi

say "archon ${there:-<none>} -> $VERSION"
mkdir -p "$TAP_DIR/Formula"
cp "$FORMULA" "$TAP_DIR/Formula/archon.rb"
cd "$TAP_DIR"
git add Formula/archon.rb
git -c user.name="github-actions[bot]" -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
  commit --quiet -m "archon $VERSION"
# shellcheck disable=SC2016 # single quotes on purpose: git's own shell expands the token, so it is never an argument
git -c credential.helper= -c credential.helper='!f() { echo username=x-access-token; echo "password=${TAP_TOKEN}"; }; f' push origin HEAD:main
