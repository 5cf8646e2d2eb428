"""``python -m archon``: the same entry point as the ``archon`` console script."""

from __future__ import annotations

from archon.cli.app import main

if __name__ == "__main__":
    main()
