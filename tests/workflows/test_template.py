from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archon.errors import UsageError
from archon.workflows.template import (
    bash_environment,
    output_references,
    parse_inputs,
    render_bash,
    render_prompt,
)

NODE_ENV = {"fetch-issue": "ARCHON_NODE_0_OUTPUT", "b": "ARCHON_NODE_1_OUTPUT"}


def test_prompt_references_are_replaced_by_their_values() -> None:
    text = "Do $ARGUMENTS for ${who} and $who, given $fetch-issue.output and ${b.output}."
    rendered = render_prompt(
        text, arguments="the thing", inputs={"who": "me"}, outputs={"fetch-issue": "ISSUE", "b": "B"}
    )
    assert rendered == "Do the thing for me and me, given ISSUE and B."


@pytest.mark.parametrize(
    "text",
    ["$HOME", "${PATH:-/bin}", "$1", "$unknown", "${unknown}", "$$ARGUMENTS", "${b}.output", "$(date)", "${#x}"],
)
def test_everything_else_is_left_alone(text: str) -> None:
    assert render_prompt(text, arguments="A", inputs={"who": "me"}, outputs={"b": "B"}) == text
    assert render_bash(text, input_names={"who": "ARCHON_INPUT_who"}, node_env=NODE_ENV) == text


def test_bash_references_become_environment_expansions() -> None:
    script = 'echo "$ARGUMENTS" "${who}" $who "$fetch-issue.output" ${b.output}'
    rendered = render_bash(script, input_names={"who": "ARCHON_INPUT_who"}, node_env=NODE_ENV)
    assert rendered == (
        'echo "${ARCHON_ARGUMENTS}" "${ARCHON_INPUT_who}" ${ARCHON_INPUT_who} "${ARCHON_NODE_0_OUTPUT}" '
        "${ARCHON_NODE_1_OUTPUT}"
    )


def test_output_references_are_found_in_order() -> None:
    assert output_references("$a.output then ${b-c.output} and $a.outputs and ${d}.output") == ["a", "b-c"]


def _run_bash(script: str, *, arguments: str, inputs: dict[str, str], cwd: Path) -> str:
    rendered = render_bash(script, input_names={k: f"ARCHON_INPUT_{k}" for k in inputs}, node_env=NODE_ENV)
    env = {"PATH": "/usr/bin:/bin"}
    env.update(bash_environment(arguments=arguments, inputs=inputs, outputs={"b": arguments}, node_env=NODE_ENV))
    done = subprocess.run(["bash", "-c", rendered], env=env, cwd=cwd, capture_output=True, check=True, timeout=10)
    return done.stdout.decode("utf-8", errors="surrogateescape")


HOSTILE = [
    "$(touch pwned)",
    "`touch pwned`",
    '"; touch pwned; echo "',
    "'; touch pwned; echo '",
    "x\ntouch pwned",
    "$((1+1)) ${IFS} * ?",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_reach_bash_as_data_never_as_code(value: str, tmp_path: Path) -> None:
    out = _run_bash(
        'printf "%s|" "$ARGUMENTS" "$who" "${b.output}"', arguments=value, inputs={"who": value}, cwd=tmp_path
    )
    assert out == f"{value}|{value}|{value}|"
    assert not (tmp_path / "pwned").exists()


@settings(max_examples=40, deadline=None)
@given(value=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40))
def test_any_value_round_trips_through_bash_unchanged(value: str) -> None:
    out = _run_bash('printf "%s" "$ARGUMENTS"', arguments=value, inputs={}, cwd=Path("/"))
    assert out == value


def test_inputs_parse_and_reject_bad_names() -> None:
    assert parse_inputs(["a=1", "b_2=x=y", "a=3", "empty="]) == {"a": "3", "b_2": "x=y", "empty": ""}
    for bad in ["novalue", "1a=x", "a-b=x", "=x", "ARGUMENTS=x"]:
        with pytest.raises(UsageError):
            parse_inputs([bad])
