# Sourced by the scripts: makes .venv (Python 3.11+) with archon and its dev tools, once per pyproject change.
# Sets VENV_BIN. Uses only python3 (or $PYTHON) and pip from PyPI.
PYTHON="${PYTHON:-python3}"
VENV_DIR="${ARCHON_VENV:-.venv}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "archon needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi
_venv_python() {  # a Windows venv (Git Bash) keeps its executables in Scripts/, everything else in bin/
  if [ -x "$VENV_DIR/Scripts/python.exe" ]; then echo "$VENV_DIR/Scripts/python.exe"; else echo "$VENV_DIR/bin/python"; fi
}
stamp_want="$("$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' < pyproject.toml)"
if [ ! -x "$(_venv_python)" ] || [ "$(cat "$VENV_DIR/.archon-stamp" 2>/dev/null)" != "$stamp_want" ]; then
  echo "==> preparing $VENV_DIR (archon + dev tools)" >&2
  rm -f "$VENV_DIR/.archon-stamp"
  { "$PYTHON" -m venv "$VENV_DIR" &&
    "$(_venv_python)" -m pip install --quiet --upgrade pip &&
    "$(_venv_python)" -m pip install --quiet -e '.[dev]'; } || { echo "could not prepare $VENV_DIR" >&2; exit 1; }
  echo "$stamp_want" > "$VENV_DIR/.archon-stamp"
fi
# shellcheck disable=SC2034  # read by the scripts that source this file
VENV_BIN="$(dirname "$(_venv_python)")"
