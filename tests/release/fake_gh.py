"""A stand-in for the GitHub CLI (``gh``), for the release scripts' offline tests: the few commands
.github/scripts/github-release.sh runs, over releases kept in a JSON file, answering as gh 2.x does (output,
``release not found``, ``HTTP 404``, refusing an upload whose name exists). Anything else is an error, so a script
cannot start relying on a command nobody checked here.

State (``FAKE_GH_STATE``): ``{"releases": {tag: {"draft", "prerelease", "title", "assets": {name: hex}}},
"attestations": [sha256, ...], "calls": [argv, ...], "fail_upload_after": n | null}``. ``fail_upload_after``
makes the n+1-th asset upload of this run die, as a cancelled job would, leaving what was uploaded.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STATE = Path(os.environ["FAKE_GH_STATE"])


def _load() -> dict[str, Any]:
    state: dict[str, Any] = json.loads(STATE.read_text(encoding="utf-8"))
    return state


def _save(state: dict[str, Any]) -> None:
    STATE.write_text(json.dumps(state, indent=1), encoding="utf-8")


def _die(message: str, code: int = 1) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(code)


def _options(args: list[str], flags: set[str]) -> tuple[list[str], dict[str, str]]:
    """Positional words, and ``--name value`` / ``--name=value`` options (``flags`` take no value)."""
    words: list[str] = []
    options: dict[str, str] = {}
    index = 0
    while index < len(args):
        word = args[index]
        if word.startswith("--"):
            name, has_value, value = word.partition("=")
            if has_value:
                options[name] = value
            elif name in flags:
                options[name] = "true"
            else:
                index += 1
                options[name] = args[index]
        else:
            words.append(word)
        index += 1
    return words, options


def _release(state: dict[str, Any], tag: str) -> dict[str, Any]:
    release: dict[str, Any] | None = state["releases"].get(tag)
    if release is None:
        _die("release not found")
    assert release is not None
    return release


def _upload(state: dict[str, Any], release: dict[str, Any], files: list[str]) -> None:
    for file in files:
        budget = state.get("fail_upload_after")
        if budget is not None and budget <= 0:
            _save(state)
            _die("upload interrupted (the job was cancelled)", 2)
        release["assets"][Path(file).name] = Path(file).read_bytes().hex()
        if budget is not None:
            state["fail_upload_after"] = budget - 1


def _view(state: dict[str, Any], args: list[str]) -> None:
    (tag,), options = _options(args, set())
    if options != {"--json": "isDraft,assets", "--jq": "(.isDraft|tostring), (.assets[].name)"}:
        _die(f"fake gh: unsupported view {options}")
    release = _release(state, tag)
    print("true" if release["draft"] else "false")
    for name in release["assets"]:
        print(name)


def _create(state: dict[str, Any], args: list[str]) -> None:
    words, options = _options(args, {"--verify-tag", "--generate-notes", "--prerelease"})
    tag, files = words[0], words[1:]
    if tag in state["releases"]:
        _die(f"a release with the same tag name already exists: {tag}")
    if "--verify-tag" not in options:
        _die("fake gh: create without --verify-tag")
    release = {"draft": True, "prerelease": "--prerelease" in options, "title": options["--title"], "assets": {}}
    state["releases"][tag] = release  # gh creates a draft, uploads, then publishes
    _upload(state, release, files)
    release["draft"] = False


def _upload_command(state: dict[str, Any], args: list[str]) -> None:
    words, options = _options(args, {"--clobber"})
    if options:
        _die(f"fake gh: unsupported upload options {options}")
    release = _release(state, words[0])
    existing = [Path(file).name for file in words[1:] if Path(file).name in release["assets"]]
    if existing:
        _die(f"asset under the same name already exists: {existing}")
    _upload(state, release, words[1:])


def _download(state: dict[str, Any], args: list[str]) -> None:
    (tag,), options = _options(args, set())
    name = options["--pattern"]
    (Path(options["--dir"]) / name).write_bytes(bytes.fromhex(_release(state, tag)["assets"][name]))


def _edit(state: dict[str, Any], args: list[str]) -> None:
    (tag,), options = _options(args, set())
    release = _release(state, tag)
    release["draft"] = options.pop("--draft") == "true"
    release["prerelease"] = options.pop("--prerelease") == "true"
    if options:
        _die(f"fake gh: unsupported edit options {options}")


def _api(state: dict[str, Any], args: list[str]) -> None:
    (path,), options = _options(args, set())
    if options != {"--jq": ".attestations | length"} or "/attestations/sha256:" not in path:
        _die(f"fake gh: unsupported api call {args}")
    if path.rsplit("sha256:", 1)[-1] not in state["attestations"]:
        _die("gh: Not Found (HTTP 404)")
    print(1)


COMMANDS = {
    ("release", "view"): _view,
    ("release", "create"): _create,
    ("release", "upload"): _upload_command,
    ("release", "download"): _download,
    ("release", "edit"): _edit,
}


def main(argv: list[str]) -> None:
    state = _load()
    state["calls"].append(argv)
    _save(state)
    if argv[:1] == ["api"]:
        _api(state, argv[1:])
    elif tuple(argv[:2]) in COMMANDS:
        COMMANDS[argv[0], argv[1]](state, argv[2:])
    else:
        _die(f"fake gh: unsupported command {argv}")
    _save(state)


if __name__ == "__main__":
    main(sys.argv[1:])
