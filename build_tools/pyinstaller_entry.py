"""Entry script of the PyInstaller binary (build_tools/archon.spec): the same ``main`` as the console script.

It does nothing else, so ``sys.executable <args>`` (how archon starts itself again, e.g. for the detached
telemetry flusher) behaves exactly like ``archon <args>``. Not shipped in the wheel.
"""

from __future__ import annotations

from archon.cli.app import main

if __name__ == "__main__":
    main()
