#!/usr/bin/env bash
# The whole test suite: lint, format, types, tests (slow end-to-end tests included).
# Creates .venv on first use. Extra arguments go to pytest, e.g. ./scripts/test.sh -m "not slow".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
if [ "$RESOLUTION" = locked ]; then
  echo "==> ruff" >&2
  "$VENV_BIN/ruff" check .
  "$VENV_BIN/ruff" format --check .
  echo "==> mypy (strict)" >&2
  "$VENV_BIN/mypy"
else
  # What lint and types find depends on each library's own annotations, which change between releases that behave
  # the same; they run on the locked versions. This run checks behaviour on the lowest versions allowed.
  echo "==> ruff, mypy: not on $RESOLUTION (they run on the locked tools and libraries)" >&2
fi
echo "==> pytest" >&2
"$VENV_BIN/pytest" "$@"
