"""How long archon takes to show what an assistant CLI streams: the latency archon adds between a line leaving the
CLI and the same words reaching archon's stderr (issue 17's target: the first output within 100 ms).

A fake ``claude`` prints claude's ``stream-json`` events (an ``init``, then text deltas, then a ``result``), one every
``--gap`` seconds, each delta's text holding the wall-clock time it was written. Two ways to read it, interleaved
run by run so machine load hits both alike:

* ``direct``: this process reads the fake's stdout itself: the floor (pipe, process scheduling);
* ``archon``: ``archon workflow run`` runs the fake as a one-node workflow and this process reads archon's stderr,
  where each delta appears as ``[ask] T=<time>`` once its line is complete.

Each sample is (time read here) - (time written by the fake). The table gives median, p95 and max per way, for the
first line of a run and for all lines, and archon's added latency (archon minus direct, medians).

    python -m benchmarks.stream_latency --runs 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

TARGET_MS = 100.0

_FAKE = r"""
import json, sys, time
sys.stdin.read()
def out(event):
    sys.stdout.write(json.dumps(event) + "\n"); sys.stdout.flush()
out({"type": "system", "subtype": "init", "session_id": "s", "model": "m"})
for _ in range(LINES):
    time.sleep(GAP)
    delta = {"type": "text_delta", "text": "T=%.6f\n" % time.time()}
    out({"type": "stream_event", "parent_tool_use_id": None,
         "event": {"type": "content_block_delta", "index": 0, "delta": delta}})
out({"type": "result", "subtype": "success", "is_error": False, "result": "done", "session_id": "s",
     "total_cost_usd": 0.0, "usage": {"input_tokens": 1, "output_tokens": 1}, "permission_denials": []})
"""

_FLOW = "name: latency\ndescription: d\nnodes:\n  - {id: ask, prompt: go}\n"


def _write_fake(directory: Path, lines: int, gap: float) -> Path:
    fake = directory / "claude"
    fake.write_text(f"#!{sys.executable}\nLINES = {lines}\nGAP = {gap}\n" + _FAKE, encoding="utf-8")
    fake.chmod(0o755)
    return fake


def _stamps(stream: IO[bytes] | None, marker: str) -> list[float]:
    """Each line holding ``marker``T=<written>: read-time minus written-time, as the lines arrive."""
    assert stream is not None
    delays: list[float] = []
    for raw in iter(stream.readline, b""):
        now = time.time()
        text = raw.decode("utf-8", "replace")
        at = text.find(marker + "T=")
        if at >= 0:
            written = float(text[at + len(marker) + 2 :].split("\\")[0].split()[0])
            delays.append(now - written)
    return delays


def direct(fake: Path) -> list[float]:
    proc = subprocess.Popen([str(fake)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.close()
    delays = _stamps(proc.stdout, '"text": "')
    proc.wait()
    return delays


def through_archon(fake: Path, work: Path, home: Path) -> list[float]:
    env = {**os.environ, "ARCHON_HOME": str(home), "ARCHON_CLAUDE_BIN": str(fake), "DO_NOT_TRACK": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "archon", "workflow", "run", "latency"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    delays = _stamps(proc.stderr, "[ask] ")
    if proc.wait() != 0:
        raise RuntimeError("archon failed")
    return delays


def _row(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[-1]:.1f} |"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.05)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fake = _write_fake(root, args.lines, args.gap)
        work, home = root / "work", root / "home"
        (work / ".archon" / "workflows").mkdir(parents=True)
        (work / ".git").mkdir()
        (work / ".archon" / "workflows" / "latency.yaml").write_text(_FLOW, encoding="utf-8")
        through_archon(fake, work, home)  # warm-up: the first-run notice, pyc files
        samples: dict[str, list[list[float]]] = {"direct": [], "archon": []}
        for index in range(args.runs):
            order = ("direct", "archon") if index % 2 == 0 else ("archon", "direct")
            for way in order:
                run = direct(fake) if way == "direct" else through_archon(fake, work, home)
                samples[way].append(run)
    print(
        f"# python {sys.version.split()[0]}; {os.cpu_count()} CPUs; {args.runs} runs x {args.lines} lines, "
        f"{args.gap * 1000:.0f} ms apart, interleaved\n"
    )
    print("| what | samples | median (ms) | p95 (ms) | max (ms) |")
    print("|---|---|---|---|---|")
    for way in ("direct", "archon"):
        print(_row(f"{way}: first line of a run", [run[0] for run in samples[way]]))
        print(_row(f"{way}: every line", [d for run in samples[way] for d in run]))
    added = statistics.median(d for run in samples["archon"] for d in run) - statistics.median(
        d for run in samples["direct"] for d in run
    )
    worst_first = max(run[0] for run in samples["archon"]) * 1000
    verdict = "met" if worst_first <= TARGET_MS else "MISSED"
    print(
        f"\narchon adds {added * 1000:.1f} ms (median, every line); the slowest first line took "
        f"{worst_first:.1f} ms: target {TARGET_MS:.0f} ms {verdict}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
