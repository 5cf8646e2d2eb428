"""Build-time code: renders archon/bundled_build.py for wheels and binaries. Not shipped in the wheel."""
