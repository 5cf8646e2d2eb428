#!/usr/bin/env bash
# The whole test suite: lint, format, types, tests (slow end-to-end tests included).
# Creates .venv on first use. Extra arguments go to pytest, e.g. ./scripts/test.sh -m "not slow".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
echo "==> ruff" >&2
"$VENV_BIN/ruff" check .
"$VENV_BIN/ruff" format --check .
echo "==> mypy (strict)" >&2
"$VENV_BIN/mypy"
echo "==> pytest" >&2
"$VENV_BIN/pytest" "$@"
