"""Why a node failed, in three classes, by fixed and documented rules (docs/workflows.md mirrors this module).

``transient``: trying again later may work. ``credit_exhausted``: it will not until the account is topped up.
``fatal``: something must change (a key, a request, the workflow, the capability).

What decides, first match wins:

1. the node ran past its timeout -> ``transient``;
2. its process could not be started -> ``fatal``;
3. the assistant CLI denied an action the node's capability does not allow -> ``fatal``;
4. the assistant CLI reported a failure in its stream: its status (:func:`classify_status`) or its own kind of
   error decides (each CLI module maps its own: :mod:`archon.workflows.clis`);
5. an assistant CLI that failed without a structured status: :func:`classify_text` over the CLI's own error
   output (never over text that contains the prompt or the answer), else ``fatal``;
6. a bash node: its exit status (:func:`classify_exit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CREDIT_RULES",
    "TRANSIENT_EXIT_STATUSES",
    "TRANSIENT_RULES",
    "Classification",
    "FailureClass",
    "Rule",
    "classify_exit",
    "classify_status",
    "classify_text",
]

Classification = Literal["transient", "fatal", "credit_exhausted"]


@dataclass(frozen=True)
class FailureClass:
    classification: Classification
    reason: str
    """Which rule matched, in words (shown locally; never sent)."""


def classify_status(status: int) -> Classification:
    """An HTTP status of the model API: 408, 409, 429, 5xx (529 "overloaded" included) are transient, 402 is
    credit, every other (400, 401, 403, 404, 413...) fatal."""
    if status == 402:
        return "credit_exhausted"
    if status in (408, 409, 429) or 500 <= status <= 599:
        return "transient"
    return "fatal"


@dataclass(frozen=True)
class Rule:
    reason: str
    pattern: re.Pattern[str]


def _rule(reason: str, pattern: str) -> Rule:
    return Rule(reason, re.compile(pattern, re.IGNORECASE))


_HTTP = r"(?:http|status|code|error)[\s:=]*"

CREDIT_RULES: tuple[Rule, ...] = (
    _rule("quota exhausted", r"insufficient[_ ]quota|exceeded your current quota|quota (?:exceeded|exhausted)"),
    _rule("credit exhausted", r"credit balance is too low|out of credits|insufficient (?:credits?|balance|funds)"),
    _rule("usage limit reached", r"usage limit (?:reached|exceeded)|hit your usage limit"),
    _rule("billing", r"billing|payment required|" + _HTTP + r"402\b"),
)

TRANSIENT_RULES: tuple[Rule, ...] = (
    _rule("rate limited", r"rate[ _-]?limit|too many requests|" + _HTTP + r"429\b"),
    _rule("provider overloaded", r"overloaded|" + _HTTP + r"529\b"),
    _rule(
        "service unavailable",
        r"(?:service|server) (?:is )?(?:temporarily )?unavailable|bad gateway|gateway time-?out|"
        + _HTTP
        + r"50[0234]\b",
    ),
    _rule("timed out", r"timed out|\btimeout\b|etimedout"),
    _rule(
        "network error",
        r"econnreset|econnrefused|enotfound|eai_again|enetunreach|ehostunreach|socket hang up|"
        r"connection (?:reset|refused|aborted|error|closed|failed)|network (?:error|is unreachable)|"
        r"temporary failure in name resolution|could not resolve host",
    ),
)


_RULE_TABLES: tuple[tuple[Classification, tuple[Rule, ...]], ...] = (
    ("credit_exhausted", CREDIT_RULES),
    ("transient", TRANSIENT_RULES),
)


def classify_text(text: str) -> FailureClass | None:
    """The fallback for a CLI that reported no structured status: credit rules first (providers report an exhausted
    quota with a rate limit's status, 429), then transient ones. Only ever given the CLI's own error text."""
    for classification, rules in _RULE_TABLES:
        for rule in rules:
            if rule.pattern.search(text):
                return FailureClass(classification, rule.reason)
    return None


TRANSIENT_EXIT_STATUSES: dict[int, str] = {
    75: "temporary failure (exit status 75, EX_TEMPFAIL)",
    124: "timed out (exit status 124, as timeout(1))",
}


def classify_exit(returncode: int) -> FailureClass:
    """A bash node that exited non-zero: only its exit status decides (its output may quote anything)."""
    if returncode in TRANSIENT_EXIT_STATUSES:
        return FailureClass("transient", TRANSIENT_EXIT_STATUSES[returncode])
    if returncode < 0:
        return FailureClass("fatal", f"killed by signal {-returncode}")
    return FailureClass("fatal", f"exit status {returncode}")
