"""The assistant CLIs archon drives, one module each (argv, capability mapping, stream parsing, error mapping),
behind the small interface of :mod:`archon.workflows.clis.contract`.

To add a CLI: write ``clis/<name>.py`` with an :class:`~archon.workflows.clis.contract.AssistantCli` and its
:class:`~archon.workflows.clis.contract.StreamParser`, add its name to
:data:`~archon.workflows.providers.ProviderName` and it to :data:`ASSISTANT_CLIS` below.
"""

from __future__ import annotations

from collections.abc import Mapping

from archon.workflows.clis.claude import CLAUDE
from archon.workflows.clis.codex import CODEX
from archon.workflows.clis.contract import AssistantCli

__all__ = ["ASSISTANT_CLIS", "assistant_cli"]

ASSISTANT_CLIS: Mapping[str, AssistantCli] = {cli.name: cli for cli in (CLAUDE, CODEX)}
"""By name, in order of preference (when several are installed and nothing says which, the first wins)."""


def assistant_cli(name: str) -> AssistantCli:
    return ASSISTANT_CLIS[name]
