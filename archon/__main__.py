"""``python -m archon``: the same entry point as the ``archon`` console script.

One exception, checked before anything else is imported: the detached telemetry flusher that archon starts as
``python -P -m archon __archon-telemetry-flush__`` goes straight to the flusher, without loading the CLI, so
its events reach the server sooner.
"""

from __future__ import annotations

import sys

from archon.telemetry.background import FLUSH_ARGUMENT, run_in_background


def main() -> None:
    if sys.argv[1:] == [FLUSH_ARGUMENT]:
        run_in_background()  # before the imports below: they are most of the flusher's CPU time
        from archon.telemetry.flusher import main as flush  # noqa: PLC0415 - only the flusher needs it

        sys.exit(flush())
    from archon.cli.app import main as cli  # noqa: PLC0415 - the flusher must not pay for the CLI's imports

    cli()


if __name__ == "__main__":
    main()
