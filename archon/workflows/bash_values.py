"""The bash-value rule: a value archon hands a bash node (``$ARGUMENTS``, an ``--input``, a node's output) is never
placed where bash evaluates text as code.

Values reach bash as environment variables (:mod:`archon.workflows.template`), which bash expands as data, except
in the contexts :mod:`archon.workflows.bash_contexts` finds: there bash evaluates the *value* (``(( $ARGUMENTS > 0
))`` with the argument ``x[$(id)]`` runs ``id``). No way of passing a value keeps bash from doing that, so a
workflow that puts a reference there is refused: at load time for ``$ARGUMENTS`` and node outputs, at run time
for the inputs given with ``--input``. The archon variables themselves (``ARCHON_ARGUMENTS``, ...) named in such a
context are refused too.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import NamedTuple

from archon.workflows.bash_contexts import Context, Span, evaluated_spans
from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.model import Workflow
from archon.workflows.template import ARGUMENTS, references

__all__ = ["ValueInCode", "refuse_values_in_code", "values_in_code"]

_ARCHON_VARIABLE = re.compile(r"\bARCHON_(?:ARGUMENTS|INPUT_[A-Za-z0-9_]+|NODE_[0-9]+_OUTPUT)\b")


class ValueInCode(NamedTuple):
    reference: str
    """As written in the script: ``$ARGUMENTS``, ``${count}``, ``$fetch.output``, ``ARCHON_ARGUMENTS``."""
    context: Context
    line: int


def _enclosing(spans: list[Span], position: int) -> Span | None:
    return next((s for s in spans if s.start <= position < s.end), None)


def values_in_code(script: str, *, input_names: Collection[str]) -> list[ValueInCode]:
    """Each reference to a value in ``script`` that bash would evaluate as code, in order of appearance."""
    spans = evaluated_spans(script)
    found: list[tuple[int, str, Context]] = []
    for ref in references(script):
        is_value = ref.is_output or ref.name == ARGUMENTS or ref.name in input_names
        span = _enclosing(spans, ref.start) if is_value else None
        if span is not None:
            found.append((ref.start, script[ref.start : ref.end], span.context))
    for match in _ARCHON_VARIABLE.finditer(script):
        span = _enclosing(spans, match.start())
        if span is not None:
            found.append((match.start(), match[0], span.context))
    return [ValueInCode(text, context, script.count("\n", 0, start) + 1) for start, text, context in sorted(found)]


def refuse_values_in_code(workflow: Workflow, *, input_names: Collection[str] = ()) -> None:
    """Raise :class:`WorkflowDefinitionError` for the first bash node that puts a value where bash evaluates it."""
    for node in workflow.nodes:
        if node.kind != "bash":
            continue
        for found in values_in_code(node.text, input_names=input_names):
            raise WorkflowDefinitionError(
                workflow.source,
                f"line {found.line}: {found.reference} is used where bash evaluates a value as code "
                f"({found.context}), so a value such as 'x[$(id)]' would run a command; copy it into a variable, "
                'check it (v="$ARGUMENTS"; [[ $v =~ ^[0-9]+$ ]] || exit 2) and use that (docs/workflows.md, '
                '"Values in bash")',
                node=node.id,
                field="bash",
            )
