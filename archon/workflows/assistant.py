"""Which assistant CLI a workflow's prompt nodes go through.

First match wins: the workflow's own ``provider:``, then ``defaultAssistant`` in ``config.yaml`` (written by
``archon setup``), then ``claude``. An unreadable config or an unknown ``defaultAssistant`` value is not fatal:
the fallback is used and the choice carries a warning the CLI shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from archon.config import ConfigState
from archon.workflows.providers import PROVIDER_NAMES, ProviderName

__all__ = ["DEFAULT_ASSISTANT_KEY", "FALLBACK_PROVIDER", "AssistantChoice", "choose_assistant"]

DEFAULT_ASSISTANT_KEY = "defaultAssistant"
FALLBACK_PROVIDER: ProviderName = "claude"


@dataclass(frozen=True)
class AssistantChoice:
    provider: ProviderName
    warning: str | None = None


def choose_assistant(workflow_provider: ProviderName | None, config: ConfigState) -> AssistantChoice:
    if workflow_provider is not None:
        return AssistantChoice(workflow_provider)
    if config.problem is not None:
        return AssistantChoice(
            FALLBACK_PROVIDER, f"{config.describe_problem()}; using {FALLBACK_PROVIDER} as the assistant"
        )
    value = config.get(DEFAULT_ASSISTANT_KEY)
    if value is None:
        return AssistantChoice(FALLBACK_PROVIDER)
    for name in PROVIDER_NAMES:
        if value == name:
            return AssistantChoice(name)
    return AssistantChoice(
        FALLBACK_PROVIDER,
        f"{config.path}: {DEFAULT_ASSISTANT_KEY} must be one of {', '.join(PROVIDER_NAMES)}; using {FALLBACK_PROVIDER}",
    )
