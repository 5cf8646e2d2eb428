"""Recorded runs of the real CLIs, as files the unit tests of archon's stream parsers can read, and their shape.

A transcript is ``tests/workflows/transcripts/<cli>/<scenario>[-<n>].jsonl`` (the CLI's stdout, one JSON event a
line), ``.stderr`` and ``.meta.json`` (exit code, argv, the CLI version, the requests the fake API received).
Everything machine- or run-specific is normalised: the lab's directory becomes ``<LAB>``, UUIDs ``<UUID>``, ids
the APIs and CLIs make up (``msg_...``, ``toolu_...``, ``req_...``, ``call_...``) ``<ID>``, timestamps ``<TIME>``,
durations (keys ending in ``_ms``) 0, the fake's port ``<PORT>``.

The *shape* of a transcript is what a parser depends on: the sequence of event kinds (``type``, plus ``subtype`` or
the item's type) and each event's key paths. A CLI upgrade that changes either fails the shape test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.assistant_lab import AssistantLab
from tests.support.cli_process import CliRun
from tests.support.model_api import RecordedRequest

__all__ = ["TRANSCRIPTS", "Transcript", "capture", "event_kind", "normalise", "read", "shape", "write"]

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "workflows" / "transcripts"

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_IDS = re.compile(r"\b(msg|toolu|req|call|resp|fc|ctc|ctco|fco|at|item)_[0-9A-Za-z-]{8,}\b")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?")
_DURATION = re.compile(r'("[a-z_]*_ms"\s*:\s*)\d+(?:\.\d+)?')
_CREATE_TIME = re.compile(r'("create_time"\s*:\s*)\d+(?:\.\d+)?')
_SOCKET = re.compile(r"cc-socks/\d+\.sock")


def normalise(text: str, *, lab: AssistantLab) -> str:
    text = text.replace(str(lab.root), "<LAB>")
    text = text.replace(lab.api.url.rsplit(":", 1)[1], "<PORT>")
    text = _UUID.sub("<UUID>", text)
    text = _IDS.sub(lambda m: f"{m.group(1)}_<ID>", text)
    text = _TIME.sub("<TIME>", text)
    text = _SOCKET.sub("cc-socks/<PID>.sock", text)
    text = _CREATE_TIME.sub(r"\g<1>0", text)
    return _DURATION.sub(r"\g<1>0", text)


def event_kind(event: dict[str, Any]) -> str:
    """``type``, refined by ``subtype`` (claude) or the item's type (codex): ``system/init``, ``item.completed/
    agent_message``."""
    kind = str(event.get("type"))
    if isinstance(event.get("subtype"), str):
        return f"{kind}/{event['subtype']}"
    item = event.get("item")
    if isinstance(item, dict) and isinstance(item.get("type"), str):
        return f"{kind}/{item['type']}"
    if kind == "stream_event" and isinstance(event.get("event"), dict):
        return f"{kind}/{event['event'].get('type')}"
    return kind


def _key_paths(value: Any, prefix: str, depth: int, out: set[str]) -> None:
    if depth == 0:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            out.add(f"{prefix}{key}")
            _key_paths(child, f"{prefix}{key}.", depth - 1, out)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, dict):
                _key_paths(child, f"{prefix}[].", depth - 1, out)


_OPEN_MAPS = frozenset({"modelUsage", "model_usage_since_last_result", "tool_input", "input", "by_type"})
"""Keys whose children are names or values of the run (model names, tool inputs), not protocol fields."""


def shape(
    events: Iterable[dict[str, Any]], *, unstable: frozenset[str] = frozenset()
) -> list[tuple[str, tuple[str, ...]]]:
    """Each event's kind and sorted key paths (three levels deep; open maps such as ``modelUsage`` count as one key),
    leaving out events of the ``unstable`` kinds."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for event in events:
        if event_kind(event) in unstable:
            continue
        paths: set[str] = set()
        _key_paths(event, "", 3, paths)
        closed = {p for p in paths if not any(p.startswith(f"{name}.") or f".{name}." in p for name in _OPEN_MAPS)}
        out.append((event_kind(event), tuple(sorted(closed))))
    return out


@dataclass(frozen=True)
class Transcript:
    name: str
    """``<scenario>``, or ``<scenario>-<n>`` for the n-th run of a scenario with several."""
    stdout: str
    stderr: str
    meta: dict[str, Any]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def _timing(run: CliRun, requests: Sequence[RecordedRequest]) -> dict[str, list[list[object]]]:
    """When each streamed text delta left the fake and when each stdout line arrived, in seconds from the start of
    the run: what the latency of a CLI (and later of archon on top of it) is measured from."""
    deltas = {"content_block_delta", "response.output_text.delta"}
    sent = [
        [round(at - run.started_at, 3), name]
        for request in requests
        if run.started_at <= request.received_at <= run.ended_at
        for at, name in request.events
        if name in deltas
    ]
    printed = [[round(line.at - run.started_at, 3), event_kind(line.event or {})] for line in run.lines]
    return {"delta_sent": sent, "line_printed": printed}


def capture(lab: AssistantLab, cli: str, scenario: str, runs: Sequence[CliRun], version: str) -> list[Transcript]:
    """The normalised transcripts of ``runs`` (one per run), with what the fake received during each."""
    requests = lab.requests()
    transcripts: list[Transcript] = []
    for number, run in enumerate(runs, start=1):
        during = [r for r in requests if r.api != "other" and run.started_at <= r.received_at <= run.ended_at]
        meta = {
            "cli": cli,
            "version": version,
            "scenario": scenario,
            "argv": [cli, *(normalise(arg, lab=lab) for arg in run.argv[5:])],
            "exit_code": run.exit_code,
            "requests": [{"method": r.method, "path": r.path, "answered": r.label, "status": r.status} for r in during],
            "timing": _timing(run, during),
        }
        name = scenario if len(runs) == 1 else f"{scenario}-{number}"
        transcripts.append(Transcript(name, normalise(run.stdout, lab=lab), normalise(run.stderr, lab=lab), meta))
    return transcripts


def write(transcripts: Iterable[Transcript], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for transcript in transcripts:
        (directory / f"{transcript.name}.jsonl").write_text(transcript.stdout, encoding="utf-8")
        (directory / f"{transcript.name}.stderr").write_text(transcript.stderr, encoding="utf-8")
        meta = json.dumps(transcript.meta, indent=1) + "\n"
        (directory / f"{transcript.name}.meta.json").write_text(meta, encoding="utf-8")


def read(directory: Path, name: str) -> Transcript:
    return Transcript(
        name,
        (directory / f"{name}.jsonl").read_text(encoding="utf-8"),
        (directory / f"{name}.stderr").read_text(encoding="utf-8"),
        json.loads((directory / f"{name}.meta.json").read_text(encoding="utf-8")),
    )
