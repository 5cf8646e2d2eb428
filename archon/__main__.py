"""The entry point of ``python -m archon`` and of the frozen binary: the CLI, or the detached flusher.

The flusher that archon starts (``python -P -m archon __archon-telemetry-flush__``, or the binary with that one
argument) is recognised here, before anything else is imported, and goes to its process module, which sets
itself up (time limit, priority) before it imports the rest of archon. Every other command line goes to the CLI.
"""

from __future__ import annotations

import sys

from archon.telemetry.upload import FLUSH_ARGUMENT


def main() -> None:
    if sys.argv[1:] == [FLUSH_ARGUMENT]:
        from archon.telemetry.upload.process import main as flusher

        sys.exit(flusher())
    from archon.cli.app import main as cli

    cli()


if __name__ == "__main__":
    main()
