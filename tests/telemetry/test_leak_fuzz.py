"""Leak fuzzing (issue 5): whatever a user types, names, sets or gets back as an error, none of it is ever stored in
the outbox or sent.

Hypothesis generates *needles* and places them everywhere a user's own strings enter archon: argv (an unknown
command, its option and value; ``workflow run NAME ARGS --input KEY=VALUE``; ``workflow validate PATH``), the
names of a repository, a workflow file, a workflow, its nodes, a command file and their contents, the path of
the assistant CLI (``ARCHON_CLAUDE_BIN``) and the error message it prints, a failing bash node's output and exit
code, and extra environment variables. Each example drives the real recording path in this process
(:func:`archon.cli.app.run` with a build keyed for the loopback ingest server), then the real flusher run
(:func:`~archon.telemetry.upload.drain.flush_outbox`: the flusher process's ``main`` is the same run plus the
process set-up, which lowers the priority of, and arms a kernel timer that kills, the process it runs in: never
pytest's). It then
searches every file under ``telemetry/``, before and after sending, and every request (body, path, headers).

A needle is 6 to 14 lowercase letters and digits holding at least one of ``gjkqwxyz`` (so it cannot occur inside
the hex of a uuid or the digits of a timestamp), and is not part of any text archon itself may send: its own
source (command, workflow, function and class names all come from there), Python's built-in names, the build
constants and the test key.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archon.cli.app import run
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.upload.drain import flush_outbox
from tests.support.delivery import TEST_KEY, keyed_build
from tests.support.ingest import IngestServer
from tests.support.workflow_fakes import write_executable

ARCHON_SOURCE = Path(__file__).resolve().parents[2] / "archon"
RARE = "gjkqwxyz"
NEEDLES = 17


def _allowed_text() -> str:
    """Everything archon may legitimately send is a substring of this (lowercased)."""
    parts = [path.read_text(encoding="utf-8") for path in ARCHON_SOURCE.rglob("*") if path.suffix in {".py", ".yaml"}]
    parts += [" ".join(dir(builtins)), TEST_KEY, repr(keyed_build("http://127.0.0.1:1")._asdict())]
    parts += ["posthog-python", "historical_migration", "sent_at", "api_key", "batch", "application/json"]
    return "\n".join(parts).lower()


ALLOWED = _allowed_text()


def _is_needle(text: str) -> bool:
    return text[0].isalpha() and any(c in RARE for c in text) and text not in ALLOWED


needle = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=14).filter(_is_needle)


@dataclasses.dataclass(frozen=True)
class Needles:
    repo: str
    workflow_file: str
    workflow: str
    description: str
    node: str
    command_file: str
    prompt: str
    argument: str
    input_key: str
    input_value: str
    bin_dir: str
    bin_name: str
    provider_error: str
    bash_error: str
    unknown_command: str
    option: str
    option_value: str

    @classmethod
    def strategy(cls) -> st.SearchStrategy[Needles]:
        return st.lists(needle, min_size=NEEDLES, max_size=NEEDLES, unique=True).map(lambda values: cls(*values))

    def all(self) -> list[str]:
        return list(dataclasses.astuple(self))


def _write_workflows(repo: Path, n: Needles, *, bash_exit: int) -> None:
    workflows = repo / ".archon" / "workflows"
    (workflows / "commands").mkdir(parents=True)
    (workflows / "commands" / f"{n.command_file}.md").write_text(f"Review {n.prompt}: $ARGUMENTS\n", "utf-8")
    (workflows / f"{n.workflow_file}.yaml").write_text(
        f"""name: {n.workflow}
description: {n.description}
provider: claude
nodes:
  - id: {n.node}
    bash: echo "$ARGUMENTS ${n.input_key}"
  - id: {n.node}_ask
    depends_on: [{n.node}]
    prompt: "{n.prompt} $ARGUMENTS"
  - id: {n.node}_cmd
    depends_on: [{n.node}]
    command: {n.command_file}
""",
        "utf-8",
    )
    (workflows / f"{n.workflow_file}_b.yaml").write_text(
        f"""name: {n.workflow}-b
description: {n.description}
nodes:
  - id: {n.node}
    bash: echo "{n.bash_error} $ARGUMENTS" >&2; exit {bash_exit}
""",
        "utf-8",
    )
    (workflows / f"{n.workflow_file}_c.yaml").write_text(
        f"name: {n.workflow}-c\ndescription: d\nnodes:\n  - id: {n.node}\n    {n.option}: {n.option_value}\n", "utf-8"
    )


def _telemetry_files(paths: ArchonPaths) -> str:
    files = [p for p in (paths.home / "telemetry").rglob("*") if p.is_file()]
    return "\n".join(p.name + "\n" + p.read_bytes().decode("utf-8", "replace") for p in files)


def _requests(server: IngestServer) -> str:
    return "\n".join(f"{r.path}\n{r.headers}\n{r.raw_body.decode('utf-8', 'replace')}" for r in server.snapshot())


@settings(max_examples=25, deadline=None)
@given(n=Needles.strategy(), bash_exit=st.integers(1, 125), provider_exit=st.integers(1, 125))
def test_no_generated_string_is_ever_stored_or_sent(
    session_ingest: IngestServer, n: Needles, bash_exit: int, provider_exit: int
) -> None:
    session_ingest.reset("ok")
    with tempfile.TemporaryDirectory(prefix="leak-fuzz-") as scratch:
        base = Path(scratch)
        repo = base / n.repo
        _write_workflows(repo, n, bash_exit=bash_exit)
        claude = write_executable(
            base / n.bin_dir, n.bin_name, f"echo 'Error: {n.provider_error}' >&2\nexit {provider_exit}"
        )
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "ARCHON_CLAUDE_BIN": str(claude),
            "ARCHON_CODEX_BIN": str(base / n.bin_dir / n.bin_name),
            f"FUZZ_{n.input_key.upper()}": n.input_value,
            n.option.upper(): f"{n.option_value}:{base / n.bin_dir}",
        }
        runtime = Runtime(env=env, home=base / "archon-home", cwd=repo)
        paths = ArchonPaths(runtime.home)
        build = keyed_build(session_ingest.url)

        def archon(*args: str) -> int:
            return run(list(args), runtime=runtime, build=build)

        assert archon("telemetry", "on") == 0
        codes = [
            archon("workflow", "run", n.workflow, n.argument, "--input", f"{n.input_key}={n.input_value}"),
            archon("workflow", "run", f"{n.workflow}-b", n.argument),
            archon("workflow", "run", n.unknown_command, n.argument),
            archon("workflow", "validate", str(repo / ".archon" / "workflows" / f"{n.workflow_file}_c.yaml")),
            archon("workflow", "validate", str(base / n.bin_dir / f"{n.unknown_command}.yaml")),
            archon(n.unknown_command, f"--{n.option}", n.option_value),
            archon("workflow", n.unknown_command, f"--{n.option}={n.option_value}"),
            archon("setup", "--assistant", n.option_value, "--yes"),
        ]
        assert all(code != 0 for code in codes), codes  # every one went down an error path
        stored = Outbox(paths).pending()
        names = {event["event"] for event in stored}
        assert {"workflow.run_started", "workflow.node_failed", "workflow.run_failed"} <= names  # the real path ran
        before = _telemetry_files(paths)

        report = flush_outbox(paths=paths, build=build, env=runtime.env)

        assert report.sent == len(stored)
        searched = {"outbox": before, "after sending": _telemetry_files(paths), "requests": _requests(session_ingest)}
    for needle_text in n.all():
        for where, text in searched.items():
            assert needle_text not in text.lower(), f"{needle_text!r} leaked into {where}"


@pytest.mark.parametrize("text", ["workflow", "archon-assist", "user-defined", "abcdef0123", "ghijklmnop"])
def test_a_needle_never_collides_with_what_archon_may_send(text: str) -> None:
    assert not _is_needle(text)
