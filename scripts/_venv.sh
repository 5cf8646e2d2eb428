# Sourced by the scripts: makes .venv with archon (editable) and its dev tools, installed from uv.lock with hashes
# (`uv sync --locked`), once per change of pyproject.toml or uv.lock. Sets VENV_BIN.
#
# Needs only python3 (3.11+, or $PYTHON) with pip. uv itself comes from the package index at exactly the version
# and hashes uv.lock records (build_tools/uv_bootstrap.py; pip install --target .tools/uv-<version>/). A stale uv.lock is an error:
# run `.tools/uv-<version>/bin/uv lock` and commit the result (tests/test_lock.py checks it too).
#
# Inputs (environment):
#   PYTHON             the interpreter that bootstraps uv, and the venv's interpreter unless UV_PYTHON is set
#   UV_PYTHON          uv's own setting: the venv's interpreter, e.g. 3.13.15 for a uv-managed (standalone) Python,
#                      as release.yml's Linux builds use
#   ARCHON_VENV        where the venv goes (default .venv)
#   ARCHON_RESOLUTION  lowest-direct: not the lock but the lowest versions pyproject.toml allows for every direct
#                      dependency (CI's "lowest" job; use another ARCHON_VENV for it)
PYTHON="${PYTHON:-python3}"
VENV_DIR="${ARCHON_VENV:-.venv}"
RESOLUTION="${ARCHON_RESOLUTION:-locked}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "archon needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi
case "$RESOLUTION" in locked | lowest-direct) ;; *)
  echo "ARCHON_RESOLUTION must be lowest-direct (or unset for uv.lock), not: $RESOLUTION" >&2
  exit 1
  ;;
esac
_venv_bin() {  # DIR NAME: on Windows (Git Bash) executables are NAME.exe, in Scripts/ (a venv) or bin/ (pip --target)
  local candidate
  for candidate in "$1/Scripts/$2.exe" "$1/bin/$2.exe"; do
    if [ -f "$candidate" ]; then echo "$candidate"; return; fi
  done
  echo "$1/bin/$2"
}

uv_requirement="$("$PYTHON" -m build_tools.uv_bootstrap uv.lock | tr -d '\r')" || exit 1
uv_version="${uv_requirement%% *}"
UV_HOME=".tools/uv-${uv_version#uv==}"
if [ ! -x "$(_venv_bin "$UV_HOME" uv)" ]; then
  echo "==> $uv_version into $UV_HOME (version and hashes from uv.lock)" >&2
  rm -rf "$UV_HOME"
  mkdir -p "$UV_HOME"
  printf '%s\n' "$uv_requirement" >"$UV_HOME.requirements.txt"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
    --require-hashes --target "$UV_HOME" -r "$UV_HOME.requirements.txt" ||
    { echo "could not install uv into $UV_HOME (pip install --target)" >&2; rm -rf "$UV_HOME"; exit 1; }
fi
UV="$(_venv_bin "$UV_HOME" uv)"

stamp_want="$(printf '%s %s %s\n' "$uv_version" "$RESOLUTION" "${UV_PYTHON:-$PYTHON}" |
  cat - pyproject.toml uv.lock | "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
if [ ! -x "$(_venv_bin "$VENV_DIR" python)" ] || [ "$(cat "$VENV_DIR/.archon-stamp" 2>/dev/null)" != "$stamp_want" ]; then
  echo "==> preparing $VENV_DIR (archon + dev tools, $RESOLUTION)" >&2
  rm -f "$VENV_DIR/.archon-stamp"
  if [ "$RESOLUTION" = locked ]; then
    # --compile-bytecode: as pip does by default, so the tests that start archon do not recompile it every run.
    UV_PROJECT_ENVIRONMENT="$VENV_DIR" "$UV" sync --quiet --locked --compile-bytecode --python "${UV_PYTHON:-$PYTHON}" ||
      { echo "could not prepare $VENV_DIR from uv.lock" >&2; exit 1; }
  else
    # a fresh venv: in an old one, pip-style installs keep any version that already satisfies the floors
    rm -rf "$VENV_DIR"
    { "$UV" venv --quiet --python "${UV_PYTHON:-$PYTHON}" "$VENV_DIR" &&
      "$UV" pip install --quiet --compile-bytecode --python "$(_venv_bin "$VENV_DIR" python)" \
        --resolution "$RESOLUTION" -e . --group dev; } || { echo "could not prepare $VENV_DIR ($RESOLUTION)" >&2; exit 1; }
  fi
  echo "$stamp_want" >"$VENV_DIR/.archon-stamp"
fi
# shellcheck disable=SC2034  # read by the scripts that source this file
VENV_BIN="$(dirname "$(_venv_bin "$VENV_DIR" python)")"
