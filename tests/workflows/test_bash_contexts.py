"""Where bash evaluates a value as code, checked against the real bash: every context the scanner reports really
runs ``x[$(...)]`` when the value arrives the way archon passes it (an environment variable), and every context it
leaves alone really does not. The refusal (archon.workflows.bash_values) is then tested on whole workflows."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from archon.workflows.bash_contexts import Context
from archon.workflows.bash_values import values_in_code
from archon.workflows.commands import CommandLibrary
from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.loader import parse_workflow
from archon.workflows.template import ENV_ARGUMENTS, render_bash
from tests.conftest import require_tool

EVALUATED = [
    ("(( $ARGUMENTS > 0 ))", Context.ARITHMETIC),
    ("for (( i = 0; i < $ARGUMENTS; i++ )); do :; done", Context.ARITHMETIC),
    ("echo $(( $ARGUMENTS + 1 ))", Context.ARITHMETIC),
    ("echo $[ $ARGUMENTS ]", Context.ARITHMETIC),
    ("x=`echo $(( $ARGUMENTS ))`", Context.ARITHMETIC),
    ("cat <<EOF\n$(( $ARGUMENTS ))\nEOF", Context.ARITHMETIC),
    ('let "y = $ARGUMENTS"', Context.ARITHMETIC),
    ("(( ARCHON_ARGUMENTS > 0 ))", Context.ARITHMETIC),
    ("[[ $ARGUMENTS -gt 0 ]]", Context.TEST_OPERAND),
    ('[[ 1 -eq "${ARGUMENTS}" ]]', Context.TEST_OPERAND),
    ("declare -i y; declare -i z=$ARGUMENTS", Context.INTEGER_DECLARATION),
    ("a=(1 2); echo ${a[$ARGUMENTS]}", Context.SUBSCRIPT),
    ('a=(1 2); echo "${a[$ARGUMENTS]}"', Context.SUBSCRIPT),
    ("a=(1 2); a[$ARGUMENTS]=3", Context.SUBSCRIPT),
    ("s=hello; echo ${s:$ARGUMENTS:1}", Context.SUBSTRING),
    ("s=hello; echo ${s:0:$ARGUMENTS}", Context.SUBSTRING),
    ("[[ -v $ARGUMENTS ]]", Context.VARIABLE_NAME),
    ('test -v "$ARGUMENTS"', Context.VARIABLE_NAME),
    ('[ -v "$ARGUMENTS" ]', Context.VARIABLE_NAME),
    ('printf -v "$ARGUMENTS" x', Context.VARIABLE_NAME),
    ('declare "$ARGUMENTS"=1', Context.VARIABLE_NAME),
    ('eval "echo $ARGUMENTS"', Context.EVAL),
]

LEFT_ALONE = [
    'echo "$ARGUMENTS"',
    'x=$ARGUMENTS; echo "$x"',
    'f() { local x="$ARGUMENTS"; echo "$x"; }; f',
    "[[ $ARGUMENTS == 1 ]]",
    "[[ $ARGUMENTS =~ ^[0-9]+$ ]]",
    '[ "$ARGUMENTS" -gt 0 ]',  # test(1)'s -gt wants an integer and says so; it does not evaluate
    'echo "${x:-$ARGUMENTS}"',
    "echo '(( $ARGUMENTS ))'",
    'grep -v "$ARGUMENTS" /dev/null',
    "cat <<'EOF'\n$(( $ARGUMENTS ))\nEOF",
    'case "$ARGUMENTS" in 1) echo one ;; esac',
    "# (( $ARGUMENTS > 0 ))",
    'shift "$ARGUMENTS"',
]


def _runs_payload(bash: str, script: str, tmp_path: Path) -> bool:
    """Run ``script`` as archon runs a bash node, with ``$ARGUMENTS`` = ``x[$(touch PROOF)]``."""
    proof = tmp_path / "proof"
    proof.unlink(missing_ok=True)
    rendered = render_bash(script, input_names={}, node_env={})
    env = {"PATH": "/usr/bin:/bin", ENV_ARGUMENTS: f"x[$(touch {proof})]"}
    subprocess.run([bash, "-c", rendered], env=env, capture_output=True, timeout=30, check=False)
    return proof.exists()


@pytest.mark.needs_tool("bash")
@pytest.mark.parametrize(("script", "context"), EVALUATED)
def test_each_reported_context_really_evaluates_the_value(script: str, context: Context, tmp_path: Path) -> None:
    assert [found.context for found in values_in_code(script, input_names=())] == [context]
    assert _runs_payload(require_tool("bash"), script, tmp_path)


@pytest.mark.needs_tool("bash")
@pytest.mark.parametrize("script", LEFT_ALONE)
def test_each_context_left_alone_really_keeps_the_value_as_data(script: str, tmp_path: Path) -> None:
    assert values_in_code(script, input_names=()) == []
    assert not _runs_payload(require_tool("bash"), script, tmp_path)


@pytest.mark.needs_tool("dash")
def test_posix_sh_refuses_the_value_instead_of_running_it(tmp_path: Path) -> None:
    """No arrays in POSIX sh: dash (Debian's and Ubuntu's sh) rejects ``x[...]`` in $(( )). Bash nodes run bash, though
    (and macOS's sh is bash in POSIX mode, which has arrays: it would evaluate the value, so it is not checked here)."""
    assert not _runs_payload(require_tool("dash"), "echo $(( $ARGUMENTS + 1 ))", tmp_path)


def _workflow(script: str) -> str:
    body = textwrap.indent(script, "      ")
    head = "name: w\ndescription: d\nnodes:\n  - id: fetch\n    bash: echo 1\n"
    return f"{head}  - id: use\n    depends_on: [fetch]\n    bash: |\n{body}\n"


@pytest.mark.parametrize(
    "script", ["(( $ARGUMENTS > 0 )) && echo big", "n=$(( $fetch.output + 1 ))", "echo ${a[${fetch.output}]}"]
)
def test_a_workflow_that_puts_a_value_where_bash_evaluates_it_is_refused(script: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"wf\.yaml: node 'use': field 'bash': line 1: .* as code"):
        parse_workflow(_workflow(script), source="wf.yaml", origin="file", commands=CommandLibrary())


@pytest.mark.needs_tool("bash")
def test_the_documented_way_to_use_a_number_is_accepted_and_safe(tmp_path: Path) -> None:
    script = 'n="$ARGUMENTS"\n[[ $n =~ ^[0-9]+$ ]] || { echo "not a number" >&2; exit 2; }\n(( n > 0 )) && echo big'
    parse_workflow(_workflow(script), source="wf.yaml", origin="file", commands=CommandLibrary())
    assert not _runs_payload(require_tool("bash"), script, tmp_path)


def test_an_input_is_checked_once_its_name_is_known() -> None:
    assert values_in_code("(( $count > 0 ))", input_names=()) == []  # a shell variable of the script's own
    (found,) = values_in_code("(( $count > 0 ))", input_names={"count": "3"})
    assert (found.reference, found.context, found.line) == ("$count", Context.ARITHMETIC, 1)
