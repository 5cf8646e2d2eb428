"""The release pipeline's own scripts (.github/scripts/), run offline: what a run, a re-run and a half-done run do."""
