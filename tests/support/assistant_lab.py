"""Everything a test needs to run a real assistant CLI against the fake model APIs, with no way out to the internet.

``with assistant_lab(tmp_path) as lab:`` gives a loopback-only network namespace, a resolver in it that answers
NXDOMAIN at once (and logs every question), the fake APIs served inside it from this process, a throwaway HOME
(with CODEX_HOME and claude's config under it) and a git work tree. Then::

    lab.script = ModelScript([Exchange("M1", (Say("hello"),))])
    run = lab.run(lab.claude("-p", "--output-format", "stream-json", "--verbose", "--", "M1: say hello"),
                  env=lab.env("claude"))
    assert run.exit_code == 0 and lab.requests("anthropic")

A program that starts the CLIs itself (archon) gets ``lab.assistant_env()``: both pinned CLIs first on PATH and both
CLIs' settings, so ``lab.run([archon, "workflow", "run", ...], env=lab.assistant_env())`` drives the real CLIs.

On exit every process left in the namespace is killed and the namespace removed, also when the test failed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.loopback_dns import LoopbackDns
from tests.support.assistant_clis import CliName, require_assistant
from tests.support.cli_process import CliRun, RunningCli
from tests.support.model_api import ModelApiServer, ModelScript, RecordedRequest, ScriptProblem
from tests.support.netns import NetworkNamespace

__all__ = ["FAKE_ANTHROPIC_KEY", "FAKE_CODEX_KEY", "AssistantLab", "assistant_lab"]

FAKE_ANTHROPIC_KEY = "sk-ant-api03-fake-key-for-tests-only"
FAKE_CODEX_KEY = "sk-proj-fake-key-for-tests-only"
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class AssistantLab:
    namespace: NetworkNamespace
    api: ModelApiServer
    dns: LoopbackDns
    root: Path
    started: list[RunningCli] = field(default_factory=list)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def work(self) -> Path:
        """A git work tree with one commit, the CLIs' working directory."""
        return self.root / "work"

    @property
    def codex_home(self) -> Path:
        return self.home / ".codex"

    @property
    def script(self) -> ModelScript:
        return self.api.script

    @script.setter
    def script(self, script: ModelScript) -> None:
        self.api.script = script

    def requests(self, api: str | None = None) -> list[RecordedRequest]:
        return self.api.log.all(api)

    def problems(self) -> list[ScriptProblem]:
        return self.api.script.problems()

    def claude(self, *args: str) -> list[str]:
        return [str(require_assistant("claude").executable), *args]

    def codex(self, *args: str) -> list[str]:
        return [str(require_assistant("codex").executable), *args]

    def env(self, cli: CliName, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """A clean environment for ``cli``: nothing inherited from the test process but PATH's node directory."""
        node = shutil.which("node")
        path = f"{os.path.dirname(node)}:{_SYSTEM_PATH}" if node else _SYSTEM_PATH
        env = {
            "PATH": path,
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "LANG": "C.UTF-8",
            "SHELL": "/bin/bash",
            "TERM": "dumb",
            "NO_COLOR": "1",
        }
        if cli == "claude":
            env |= {
                "ANTHROPIC_BASE_URL": self.api.url,
                "ANTHROPIC_API_KEY": FAKE_ANTHROPIC_KEY,
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "DISABLE_TELEMETRY": "1",
                "DISABLE_AUTOUPDATER": "1",
            }
        else:
            env |= {"CODEX_HOME": str(self.codex_home), "CODEX_API_KEY": FAKE_CODEX_KEY}
        return env | dict(extra or {})

    def assistant_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """For a program that runs the CLIs itself (archon): both CLIs' settings, and the pinned ``claude`` and
        ``codex`` first on PATH."""
        env = self.env("claude") | self.env("codex")
        bins = {str(require_assistant(name).executable.parent) for name in ("claude", "codex")}
        env["PATH"] = ":".join([*sorted(bins), env["PATH"]])
        return env | dict(extra or {})

    def start(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        stdin: str | None = None,
        cwd: Path | None = None,
    ) -> RunningCli:
        """Start ``argv`` inside the namespace (stdin: ``None`` is /dev/null, a string is piped and closed)."""
        running = RunningCli(self.namespace.command(argv), cwd or self.work, env, stdin).start()
        self.started.append(running)
        return running

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        stdin: str | None = None,
        cwd: Path | None = None,
        timeout: float = 180.0,
    ) -> CliRun:
        return self.start(argv, env=env, stdin=stdin, cwd=cwd).wait(timeout=timeout)

    def write_codex_config(self, text: str) -> None:
        self.codex_home.mkdir(parents=True, exist_ok=True)
        (self.codex_home / "config.toml").write_text(text, encoding="utf-8")

    def user_codex_config(self) -> str:
        """codex's built-in OpenAI provider pointed at the fake: what a user with an API key has, but the URL."""
        return f'openai_base_url = "{self.api.url}/v1"\ncheck_for_update_on_startup = false\n'

    def default_codex_config(self) -> str:
        """:meth:`user_codex_config`, with codex's workspace-write sandbox kept out of the shared /tmp: it would
        create mount points there (``/tmp/.git``), which a codex killed mid-turn leaves behind. ``$TMPDIR`` (the
        lab's own) stays writable. (archon runs get the user's config: archon itself must keep codex out.)"""
        return self.user_codex_config() + "\n[sandbox_workspace_write]\nexclude_slash_tmp = true\n"


def _git_work_tree(work: Path, home: Path) -> None:
    work.mkdir(parents=True)
    (work / "README.md").write_text("# lab\n", encoding="utf-8")
    git = shutil.which("git") or "git"
    env = {"PATH": _SYSTEM_PATH, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=Lab", "-c", "user.email=lab@example.invalid", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "README.md"], ["commit", "-q", "-m", "start"]):
        subprocess.run([git, *identity, *args], cwd=work, env=env, check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def assistant_lab(root: Path) -> Iterator[AssistantLab]:
    """A lab under ``root`` (an empty directory); see the module docstring."""
    for directory in (root / "home", root / "tmp"):
        directory.mkdir(parents=True, exist_ok=True)
    _git_work_tree(root / "work", root / "home")
    with NetworkNamespace() as namespace:
        dns = LoopbackDns()
        dns.start(namespace.listening_socket(53, socket.SOCK_DGRAM))
        try:
            with ModelApiServer(ModelScript(), sock=namespace.listening_socket()) as api:
                lab = AssistantLab(namespace, api, dns, root)
                lab.write_codex_config(lab.default_codex_config())
                try:
                    yield lab
                finally:
                    namespace.kill_all()
                    for running in lab.started:
                        running.reap()
        finally:
            dns.stop()
