"""Which assistant CLI a workflow's prompt nodes go through.

First match wins: the workflow's own ``provider:``, then ``defaultAssistant`` in ``config.yaml`` (written by
``archon setup``), then ``claude``. An unreadable config or an unknown ``defaultAssistant`` value is not fatal:
the fallback is used, and the choice says why (``fallback``), for the CLI to warn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from archon.config import ConfigState
from archon.workflows.providers import PROVIDER_NAMES, ProviderName

__all__ = ["DEFAULT_ASSISTANT_KEY", "FALLBACK_PROVIDER", "AssistantChoice", "Fallback", "choose_assistant"]

DEFAULT_ASSISTANT_KEY = "defaultAssistant"
FALLBACK_PROVIDER: ProviderName = "claude"


Fallback = Literal["unreadable-config", "unknown-assistant"]
"""Why the fallback was used: ``config.yaml`` could not be read, or its ``defaultAssistant`` names no CLI archon
knows."""


@dataclass(frozen=True)
class AssistantChoice:
    provider: ProviderName
    fallback: Fallback | None = None
    """Set when the configuration could not decide and :data:`FALLBACK_PROVIDER` was used."""


def choose_assistant(workflow_provider: ProviderName | None, config: ConfigState) -> AssistantChoice:
    if workflow_provider is not None:
        return AssistantChoice(workflow_provider)
    if config.problem is not None:
        return AssistantChoice(FALLBACK_PROVIDER, "unreadable-config")
    value = config.get(DEFAULT_ASSISTANT_KEY)
    if value is None:
        return AssistantChoice(FALLBACK_PROVIDER)
    for name in PROVIDER_NAMES:
        if value == name:
            return AssistantChoice(name)
    return AssistantChoice(FALLBACK_PROVIDER, "unknown-assistant")
