#!/usr/bin/env bash
# The GitHub release of TAG, made so that a re-run finishes what an interrupted run left undone and never duplicates
# or replaces anything (release.yml's github-release job, which runs after the package index has the wheel and sdist).
#
#   github-release.sh attested   prints attested=true|false: whether DIR/SHA256SUMS already has a build provenance
#                                attestation in this repository (a re-run after the attest step must not add another)
#   github-release.sh publish    makes the release:
#     - no release (nor draft) for TAG: `gh release create` with every file in DIR (gh creates it as a draft,
#       uploads the files, then publishes it);
#     - a release or a draft exists (an earlier run stopped halfway): each file it already has is downloaded and
#       must be byte-identical to DIR's; only the missing ones are uploaded; a draft is then published;
#     - everything there and published: nothing to do.
#     A file the release has with other content stops it before anything is uploaded: a published file is never
#     replaced (docs/release.md, "When a release fails halfway").
#
# Inputs (environment): TAG, TITLE, PRERELEASE (true|false); GH_REPO and GH_TOKEN, for gh; DIR (default release).
set -euo pipefail

fail() { printf 'github-release: %s\n' "$*" >&2; exit 1; }
say() { printf 'github-release: %s\n' "$*" >&2; }

DIR="${DIR:-release}"
[ -n "${TAG:-}" ] || fail "TAG is not set"
[ -n "${GH_REPO:-}" ] || fail "GH_REPO is not set"
[ -d "$DIR" ] || fail "no folder $DIR"

sha256() { sha256sum -- "$1" | cut -d' ' -f1; }

attested() {
  local digest count err
  [ -f "$DIR/SHA256SUMS" ] || fail "no $DIR/SHA256SUMS"
  digest="$(sha256 "$DIR/SHA256SUMS")"
  err="$(mktemp)"
  if count="$(gh api "repos/$GH_REPO/attestations/sha256:$digest" --jq '.attestations | length' 2>"$err")"; then
    rm -f "$err"
    if [ "${count:-0}" -gt 0 ]; then echo attested=true; else echo attested=false; fi
  elif grep -q 'HTTP 404' "$err"; then
    rm -f "$err"
    echo attested=false
  else
    cat "$err" >&2
    rm -f "$err"
    fail "could not ask whether SHA256SUMS is attested"
  fi
}

publish() {
  local title="${TITLE:-$TAG}" state err draft name
  case "${PRERELEASE:-}" in true | false) ;; *) fail "PRERELEASE must be true or false" ;; esac
  local files=()
  for name in "$DIR"/*; do files+=("$name"); done
  [ "${#files[@]}" -gt 0 ] || fail "$DIR is empty"

  err="$(mktemp)"
  if ! state="$(gh release view "$TAG" --json isDraft,assets --jq '(.isDraft|tostring), (.assets[].name)' 2>"$err")"; then
    if ! grep -q 'release not found' "$err"; then
      cat "$err" >&2
      rm -f "$err"
      fail "could not read the release $TAG"
    fi
    rm -f "$err"
    say "no release $TAG yet: creating it with ${#files[@]} files"
    local flags=(--verify-tag --title "$title" --generate-notes)
    if [ "$PRERELEASE" = true ]; then flags+=(--prerelease); fi
    gh release create "$TAG" "${files[@]}" "${flags[@]}"
    return
  fi
  rm -f "$err"

  draft="$(printf '%s\n' "$state" | head -n 1)"
  local existing=() missing=() differing=()
  mapfile -t existing < <(printf '%s\n' "$state" | tail -n +2 | sed '/^$/d')
  local downloads
  downloads="$(mktemp -d)"
  for file in "${files[@]}"; do
    name="$(basename "$file")"
    if printf '%s\n' "${existing[@]}" | grep -Fxq -- "$name"; then
      gh release download "$TAG" --pattern "$name" --dir "$downloads"
      if [ "$(sha256 "$downloads/$name")" != "$(sha256 "$file")" ]; then differing+=("$name"); fi
    else
      missing+=("$file")
    fi
  done
  rm -rf "$downloads"
  for name in "${existing[@]}"; do
    [ -e "$DIR/$name" ] || say "warning: the release has $name, which this run did not build; left as it is"
  done
  if [ "${#differing[@]}" -gt 0 ]; then
    fail "the release $TAG already has ${differing[*]} with other content than this run built; nothing was changed" \
      "(a published file is never replaced: docs/release.md, \"When a release fails halfway\")"
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    say "the release $TAG exists with ${#existing[@]} files; uploading the ${#missing[@]} missing: ${missing[*]##*/}"
    gh release upload "$TAG" "${missing[@]}"
  fi
  if [ "$draft" = true ]; then
    say "publishing the draft release $TAG"
    gh release edit "$TAG" --draft=false --prerelease="$PRERELEASE"
  fi
  if [ "${#missing[@]}" -eq 0 ] && [ "$draft" != true ]; then
    say "the release $TAG is complete: every file is there, identical; nothing to do"
  fi
}

case "${1:-}" in
  attested) attested ;;
  publish) publish ;;
  *) fail "usage: github-release.sh attested | publish" ;;
esac
