"""``$ARGUMENTS``, ``$name``/``${name}`` (``--input name=value``) and ``$node.output``/``${node.output}``.

Prompts are plain text handed to the provider CLI as one argv item (no shell), so values are pasted in as they
are. Bash scripts are different: a value pasted into a script would be parsed as shell code, so a run of
``archon workflow run x '$(rm -rf ~)'`` could run it. In bash nodes every reference is therefore *rewritten* to
an environment variable expansion (``$ARGUMENTS`` -> ``${ARCHON_ARGUMENTS}``) and the value travels in the
environment: the shell expands it as data and never parses it as code. Quote it as any shell variable
(``"$ARGUMENTS"``) to keep spaces. Where bash would still evaluate an expanded value (arithmetic, subscripts,
``eval``), :mod:`archon.workflows.bash_values` refuses the reference before anything runs.

Only references archon knows are touched: ``ARGUMENTS``, the names given with ``--input``, and ``.output`` of
the workflow's nodes. Everything else (``$HOME``, ``${VAR:-x}``, ``$1``) is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from archon.errors import UsageError

__all__ = [
    "ARGUMENTS",
    "ENV_ARGUMENTS",
    "INPUT_NAME",
    "Reference",
    "bash_environment",
    "input_env_name",
    "output_env_name",
    "output_references",
    "parse_inputs",
    "references",
    "render_bash",
    "render_prompt",
]

ARGUMENTS = "ARGUMENTS"
ENV_ARGUMENTS = "ARCHON_ARGUMENTS"
INPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_REFERENCE = re.compile(
    r"""(?<!\$)\$(?:
        \{(?P<braced>[A-Za-z_][A-Za-z0-9_-]*?)(?P<braced_output>\.output)?\}
      | (?P<node>[A-Za-z_][A-Za-z0-9_-]*)\.output\b
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Reference:
    start: int
    end: int
    name: str
    is_output: bool


def _references(text: str) -> Iterator[Reference]:
    for match in _REFERENCE.finditer(text):
        if match["braced"] is not None:
            yield Reference(match.start(), match.end(), match["braced"], match["braced_output"] is not None)
        elif match["node"] is not None:
            yield Reference(match.start(), match.end(), match["node"], True)
        else:
            yield Reference(match.start(), match.end(), match["name"], False)


def references(text: str) -> list[Reference]:
    """Every reference in ``text`` that looks like one of archon's, known or not, in order of appearance."""
    return list(_references(text))


def output_references(text: str) -> list[str]:
    """The node ids whose output ``text`` refers to, in order of appearance."""
    return [ref.name for ref in _references(text) if ref.is_output]


def input_env_name(name: str) -> str:
    return f"ARCHON_INPUT_{name}"


def output_env_name(index: int) -> str:
    """Node ids may hold ``-``, which an environment variable name cannot: outputs are numbered by node position."""
    return f"ARCHON_NODE_{index}_OUTPUT"


def _substitute(text: str, replace: Mapping[tuple[str, bool], str]) -> str:
    pieces: list[str] = []
    last = 0
    for ref in _references(text):
        replacement = replace.get((ref.name, ref.is_output))
        if replacement is None:
            continue
        pieces.append(text[last : ref.start])
        pieces.append(replacement)
        last = ref.end
    pieces.append(text[last:])
    return "".join(pieces)


def render_prompt(text: str, *, arguments: str, inputs: Mapping[str, str], outputs: Mapping[str, str]) -> str:
    """``text`` with every known reference replaced by its value (for prompts; never for shell code)."""
    replace: dict[tuple[str, bool], str] = {(name, False): value for name, value in inputs.items()}
    replace[(ARGUMENTS, False)] = arguments
    replace.update({(node, True): value for node, value in outputs.items()})
    return _substitute(text, replace)


def render_bash(script: str, *, input_names: Mapping[str, str], node_env: Mapping[str, str]) -> str:
    """``script`` with every known reference rewritten to an environment variable expansion.

    ``input_names`` and ``node_env`` map an input name / node id to the variable that carries its value.
    """
    replace: dict[tuple[str, bool], str] = {(name, False): "${" + env + "}" for name, env in input_names.items()}
    replace[(ARGUMENTS, False)] = "${" + ENV_ARGUMENTS + "}"
    replace.update({(node, True): "${" + env + "}" for node, env in node_env.items()})
    return _substitute(script, replace)


def bash_environment(
    *, arguments: str, inputs: Mapping[str, str], outputs: Mapping[str, str], node_env: Mapping[str, str]
) -> dict[str, str]:
    """The variables :func:`render_bash`'s rewritten references expand."""
    env = {ENV_ARGUMENTS: arguments}
    env.update({input_env_name(name): value for name, value in inputs.items()})
    env.update({node_env[node]: value for node, value in outputs.items() if node in node_env})
    return env


def parse_inputs(pairs: Sequence[str]) -> dict[str, str]:
    """``--input name=value`` pairs as a mapping; the last of repeated names wins. Names are identifiers (so
    they can be referenced as ``$name``) and ``ARGUMENTS`` is reserved."""
    inputs: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or INPUT_NAME.fullmatch(name) is None:
            raise UsageError(f"--input {pair!r}: expected NAME=VALUE with NAME made of letters, digits and '_'")
        if name == ARGUMENTS:
            raise UsageError(f"--input {pair!r}: {ARGUMENTS} is reserved for the positional arguments")
        inputs[name] = value
    return inputs
