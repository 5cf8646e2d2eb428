"""Entry script of the PyInstaller binary (build_tools/archon.spec): the same ``main`` as ``python -m archon``.

It does nothing else, so ``sys.executable <args>`` (how archon starts itself again, e.g. for the detached
telemetry flusher) behaves exactly like ``archon <args>``; like ``python -m archon``, the flusher's hidden
argument skips loading the CLI. Not shipped in the wheel.
"""

from __future__ import annotations

from archon.__main__ import main

if __name__ == "__main__":
    main()
