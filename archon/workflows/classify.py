"""Why a node failed, in three classes, by fixed and documented rules (docs/workflows.md mirrors this table).

First match wins:

1. the node ran past its timeout -> ``transient``;
2. its process could not be started (missing CLI or interpreter, arguments too long) -> ``fatal``;
3. its stderr, or the end of its stdout, matches a :data:`CREDIT_RULES` pattern -> ``credit_exhausted``;
4. ... matches a :data:`TRANSIENT_RULES` pattern -> ``transient``;
5. it exited with a status in :data:`TRANSIENT_EXIT_STATUSES` -> ``transient``;
6. anything else -> ``fatal``.

Credit rules come before transient ones because providers report an exhausted quota with the same HTTP status
as a rate limit (429 ``insufficient_quota``): retrying later will not help there.
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
    "classify_failure",
]

Classification = Literal["transient", "fatal", "credit_exhausted"]

STDOUT_TAIL = 4096
"""Only the end of stdout is searched: CLIs print their final error last, and a long answer may quote anything."""
STDERR_TAIL = 16384


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
        + r"50[234]\b",
    ),
    _rule("timed out", r"timed out|\btimeout\b|etimedout"),
    _rule(
        "network error",
        r"econnreset|econnrefused|enotfound|eai_again|enetunreach|ehostunreach|socket hang up|"
        r"connection (?:reset|refused|aborted|error|closed)|network (?:error|is unreachable)|"
        r"temporary failure in name resolution|could not resolve host",
    ),
)

_RULE_TABLES: tuple[tuple[Classification, tuple[Rule, ...]], ...] = (
    ("credit_exhausted", CREDIT_RULES),
    ("transient", TRANSIENT_RULES),
)

TRANSIENT_EXIT_STATUSES: dict[int, str] = {
    75: "temporary failure (exit status 75, EX_TEMPFAIL)",
    124: "timed out (exit status 124, as timeout(1))",
}


@dataclass(frozen=True)
class FailureClass:
    classification: Classification
    reason: str
    """Which rule matched, in words (shown locally; never sent)."""


def classify_failure(
    *, timed_out: bool, started: bool, returncode: int | None, stdout: str, stderr: str
) -> FailureClass:
    if timed_out:
        return FailureClass("transient", "timed out")
    if not started:
        return FailureClass("fatal", "could not be started")
    text = stderr[-STDERR_TAIL:] + "\n" + stdout[-STDOUT_TAIL:]
    for classification, rules in _RULE_TABLES:
        for rule in rules:
            if rule.pattern.search(text):
                return FailureClass(classification, rule.reason)
    if returncode is not None and returncode in TRANSIENT_EXIT_STATUSES:
        return FailureClass("transient", TRANSIENT_EXIT_STATUSES[returncode])
    if returncode is not None and returncode < 0:
        return FailureClass("fatal", f"killed by signal {-returncode}")
    return FailureClass("fatal", f"exit status {returncode}")
