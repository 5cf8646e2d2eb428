"""Record the transcripts under tests/workflows/transcripts/ by running every scenario through the pinned CLIs.

    .venv/bin/python -m tests.support.record_transcripts [claude|codex] [SCENARIO ...]

Needs root (network namespaces) and the CLIs `.ci/run` installs. Prints one line per run: scenario, exit code,
seconds, and any problem the fake model met. Each .meta.json records the CLI version it was recorded on.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.support.scenarios import ALL_SCENARIOS, run_scenario
from tests.support.transcripts import TRANSCRIPTS, write


def main(argv: list[str]) -> int:
    clis = [argv[0]] if argv and argv[0] in ALL_SCENARIOS else list(ALL_SCENARIOS)
    wanted = set(argv[1:] if argv and argv[0] in ALL_SCENARIOS else argv)
    failed = 0
    for cli in clis:
        if not wanted:
            shutil.rmtree(TRANSCRIPTS / cli, ignore_errors=True)
        for name, scenario in ALL_SCENARIOS[cli].items():
            if wanted and name not in wanted:
                continue
            with tempfile.TemporaryDirectory(prefix="archon-lab-") as root:
                result = run_scenario(scenario, Path(root))
            write(result.transcripts, TRANSCRIPTS / cli)
            problems = "; ".join(p.message for p in result.problems)
            failed += bool(problems)
            for run in result.runs:
                print(f"{cli:6} {name:28} exit {run.exit_code:3}  {run.seconds:6.1f}s  {problems}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
