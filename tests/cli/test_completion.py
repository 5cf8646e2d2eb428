"""``archon completion bash|zsh|fish``: each script is valid in its shell, and real shells complete archon's own
commands with it. A TAB press is not an archon command: it never prints the notice, records or writes anything."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from archon.cli.completion import COMPLETE_VAR
from tests.cli.conftest import KEYED_BUILD, Invoke
from tests.conftest import require_tool
from tests.support.artefacts import InstalledArchon
from tests.support.ingest import IngestServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="bash, zsh and fish completion")


def script(invoke: Invoke, shell: str) -> str:
    result = invoke("completion", shell)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def checkout_archon() -> Path:
    """The ``archon`` console script of the environment running the tests (this checkout, installed editable)."""
    found = Path(sys.executable).parent / "archon"
    if not found.exists():
        pytest.skip(f"no archon script next to {sys.executable} (scripts/_venv.sh installs one)")
    return found


def shell_env(archon_bin: Path, home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a user's shell with ``archon`` (the one in ``archon_bin``) on PATH."""
    return {
        **os.environ,
        "PATH": f"{archon_bin}{os.pathsep}{os.environ['PATH']}",
        "ARCHON_HOME": str(home),
        **(extra or {}),
    }


BASH_COMPLETE = """
source "$1"
COMP_WORDS=($2)
[ "$3" = new-word ] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_archon_completion archon
printf '%s\\n' "${COMPREPLY[@]}"
"""


def bash_complete(
    tmp_path: Path,
    text: str,
    archon: Path,
    home: Path,
    *,
    new_word: bool = False,
    extra: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Drive bash's completion the way readline does: COMP_WORDS/COMP_CWORD, then the function the script
    registered with ``complete -F`` for ``archon``."""
    bash = require_tool("bash")
    saved = tmp_path / "archon.bash"
    saved.write_text(
        subprocess.run(
            [str(archon), "completion", "bash"],
            capture_output=True,
            text=True,
            check=True,
            env=shell_env(archon.parent, tmp_path / "home-of-the-setup"),  # a real command, with its own home
            timeout=60,
        ).stdout
    )
    return subprocess.run(
        [bash, "--norc", "--noprofile", "-c", BASH_COMPLETE, "bash", str(saved), text, "new-word" if new_word else ""],
        capture_output=True,
        text=True,
        check=False,
        env=shell_env(archon.parent, home, extra),
        timeout=60,
    )


@pytest.mark.parametrize(
    ("shell", "check"),
    [
        pytest.param("bash", ["-n"], marks=pytest.mark.needs_tool("bash")),
        pytest.param("zsh", ["-n"], marks=pytest.mark.needs_tool("zsh")),
        pytest.param("fish", ["--no-execute"], marks=pytest.mark.needs_tool("fish")),
    ],
)
def test_each_script_passes_its_shells_syntax_check(
    invoke: Invoke, tmp_path: Path, shell: str, check: list[str]
) -> None:
    path = tmp_path / f"archon.{shell}"
    path.write_text(script(invoke, shell))
    result = subprocess.run(
        [require_tool(shell), *check, str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_scripts_complete_archon_through_its_own_variable(invoke: Invoke) -> None:
    assert "complete -o default -F _archon_completion archon" in script(invoke, "bash")
    assert "#compdef archon" in script(invoke, "zsh")
    assert "complete --command archon" in script(invoke, "fish")
    for shell in ("bash", "zsh", "fish"):
        assert COMPLETE_VAR in script(invoke, shell)


def test_an_unknown_shell_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("completion", "powershell")
    assert result.exit_code == 2
    assert "bash" in result.stderr


@pytest.mark.needs_tool("bash")
def test_bash_completes_a_command_name(tmp_path: Path, isolation: Path) -> None:
    result = bash_complete(tmp_path, "archon tel", checkout_archon(), isolation)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["telemetry"]


@pytest.mark.needs_tool("bash")
def test_bash_completes_subcommands(tmp_path: Path, isolation: Path) -> None:
    result = bash_complete(tmp_path, "archon telemetry", checkout_archon(), isolation, new_word=True)
    assert result.returncode == 0, result.stderr
    assert {"on", "off", "status", "inspect", "clear", "policy"} <= set(result.stdout.splitlines())
    result = bash_complete(tmp_path, "archon completion", checkout_archon(), isolation, new_word=True)
    assert result.stdout.splitlines() == ["bash", "zsh", "fish"]


@pytest.mark.needs_tool("fish")
def test_fish_completes_a_command_name(invoke: Invoke, tmp_path: Path, isolation: Path) -> None:
    fish = require_tool("fish")
    saved = tmp_path / "archon.fish"
    saved.write_text(script(invoke, "fish"))
    result = subprocess.run(
        [fish, "--no-config", "-c", f"source {saved}; complete --do-complete 'archon tel'"],
        capture_output=True,
        text=True,
        env=shell_env(checkout_archon().parent, isolation),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["telemetry"]


def test_a_completion_request_is_answered_before_anything_else(
    invoke: Invoke, isolation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMP_WORDS", "archon vers")
    monkeypatch.setenv("COMP_CWORD", "1")
    result = invoke(env={COMPLETE_VAR: "complete_bash", "ARCHON_TELEMETRY": "on"}, build=KEYED_BUILD)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "version\n", "")
    assert not isolation.exists()  # no first-run marker, no identity, no outbox


@pytest.mark.slow
@pytest.mark.needs_tool("bash")
def test_tab_presses_with_telemetry_on_print_no_notice_and_record_nothing(
    keyed_archon: InstalledArchon, ingest: IngestServer, tmp_path: Path
) -> None:
    """The real wheel with a key, telemetry on, a first run: TAB presses only complete."""
    home = tmp_path / "archon-home"
    for _ in range(3):
        result = bash_complete(tmp_path, "archon tel", keyed_archon.archon, home, extra={"ARCHON_TELEMETRY": "on"})
        assert (result.returncode, result.stdout, result.stderr) == (0, "telemetry\n", "")
    assert not home.exists()  # no notice marker, no identity, no outbox: nothing that could ever be sent
    assert ingest.wait_for_events(1, timeout=3) == []
    assert ingest.snapshot() == []


# --- README's recipes, in interactive shells under a terminal, as a user presses TAB ----------------------------


def press_tab(argv: list[str], home: Path, typed: str, expect: str, *, timeout: float = 20) -> str:
    """Start an interactive shell on a new terminal, type ``typed`` and TAB, and return what the terminal shows
    once ``expect`` appears (or all it showed by ``timeout``)."""
    import pty
    import select
    import time

    env = {
        **shell_env(checkout_archon().parent, home / "archon-home"),
        "HOME": str(home),
        "ZDOTDIR": str(home),
        "TERM": "dumb",
    }
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "BASH_COMPLETION_USER_DIR"):
        env.pop(name, None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the shell
        os.execvpe(argv[0], argv, env)  # noqa: S606 - the shell under test, by its path
    shown = b""
    try:
        deadline = time.monotonic() + timeout
        prompt_seen = False
        while time.monotonic() < deadline and expect.encode() not in shown.split(b"\n")[-1]:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    shown += os.read(fd, 4096)
                except OSError:
                    break
            if not prompt_seen and b"> " in shown:
                prompt_seen = True
                os.write(fd, typed.encode() + b"\t")
                shown = b""
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    return shown.decode(errors="replace")


def saved_script(invoke: Invoke, shell: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script(invoke, shell))


@pytest.mark.needs_tool("bash", "bash-completion")
def test_bash_with_the_script_in_the_bash_completion_user_folder(invoke: Invoke, tmp_path: Path) -> None:
    saved_script(invoke, "bash", tmp_path / ".local/share/bash-completion/completions/archon")
    (tmp_path / ".bashrc").write_text(f". {require_tool('bash-completion')}\nPS1='> '\n")
    shown = press_tab([require_tool("bash"), "-i"], tmp_path, "archon tel", "archon telemetry ")
    assert "archon telemetry " in shown


@pytest.mark.needs_tool("zsh")
def test_zsh_with_the_script_in_fpath_completes_on_the_first_tab(invoke: Invoke, tmp_path: Path) -> None:
    saved_script(invoke, "zsh", tmp_path / ".zfunc/_archon")
    (tmp_path / ".zshrc").write_text("fpath=(~/.zfunc $fpath)\nautoload -Uz compinit && compinit -u\nPS1='> '\n")
    shown = press_tab([require_tool("zsh"), "-i"], tmp_path, "archon tel", "archon telemetry ")
    assert "archon telemetry " in shown


@pytest.mark.needs_tool("fish")
def test_fish_loads_the_script_from_its_completions_folder(invoke: Invoke, tmp_path: Path) -> None:
    saved_script(invoke, "fish", tmp_path / ".config/fish/completions/archon.fish")
    env = {**shell_env(checkout_archon().parent, tmp_path / "archon-home"), "HOME": str(tmp_path)}
    env.pop("XDG_CONFIG_HOME", None)
    result = subprocess.run(
        [require_tool("fish"), "-c", "complete --do-complete 'archon tel'"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["telemetry"], result.stderr
