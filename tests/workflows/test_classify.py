from __future__ import annotations

from pathlib import Path

import pytest

from archon.workflows.classify import (
    CREDIT_RULES,
    TRANSIENT_EXIT_STATUSES,
    TRANSIENT_RULES,
    Classification,
    classify_exit,
    classify_status,
    classify_text,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, "fatal"),
        (401, "fatal"),
        (403, "fatal"),
        (404, "fatal"),
        (413, "fatal"),
        (402, "credit_exhausted"),
        (408, "transient"),
        (409, "transient"),
        (429, "transient"),
        (500, "transient"),
        (502, "transient"),
        (503, "transient"),
        (504, "transient"),
        (529, "transient"),
    ],
)
def test_an_api_status_decides_the_class(status: int, expected: Classification) -> None:
    assert classify_status(status) == expected


TEXT_CASES = [
    ("API Error: 429 rate_limit_error: per-minute rate limit exceeded", "transient", "rate limited"),
    ("Error: 429 Too Many Requests", "transient", "rate limited"),
    ('API Error: 529 {"type":"overloaded_error"}', "transient", "provider overloaded"),
    ("HTTP 503 Service Unavailable", "transient", "service unavailable"),
    ("HTTP 500 Internal Server Error", "transient", "service unavailable"),
    ("stream error: Request timed out.", "transient", "timed out"),
    ("getaddrinfo ENOTFOUND api.anthropic.com", "transient", "network error"),
    ("read ECONNRESET", "transient", "network error"),
    ("Connection failed: error sending request", "transient", "network error"),
    (
        "ERROR: You exceeded your current quota, please check your plan and billing details.",
        "credit_exhausted",
        "quota exhausted",
    ),
    # OpenAI reports an exhausted quota as a 429: credit rules win over the rate-limit rule.
    ('Error: 429 {"error":{"code":"insufficient_quota"}}', "credit_exhausted", "quota exhausted"),
    ("Your credit balance is too low to access the Anthropic API.", "credit_exhausted", "credit exhausted"),
    ("Claude AI usage limit reached|1767225600", "credit_exhausted", "usage limit reached"),
    ("You've hit your usage limit. Upgrade to Pro.", "credit_exhausted", "usage limit reached"),
    ("HTTP 402 Payment Required", "credit_exhausted", "billing"),
]


@pytest.mark.parametrize(("text", "expected", "reason"), TEXT_CASES)
def test_the_fallback_reads_a_clis_own_error_text(text: str, expected: Classification, reason: str) -> None:
    got = classify_text(text)
    assert got is not None
    assert (got.classification, got.reason) == (expected, reason)


def test_numbers_alone_are_not_status_codes() -> None:
    assert classify_text("error in line 429 of setup.py; 503 tests collected") is None


@pytest.mark.parametrize(
    ("returncode", "expected", "reason"),
    [
        (75, "transient", "temporary failure (exit status 75, EX_TEMPFAIL)"),
        (124, "transient", "timed out (exit status 124, as timeout(1))"),
        (1, "fatal", "exit status 1"),
        (-11, "fatal", "killed by signal 11"),
    ],
)
def test_a_bash_node_is_classified_by_its_exit_status_alone(
    returncode: int, expected: Classification, reason: str
) -> None:
    got = classify_exit(returncode)
    assert (got.classification, got.reason) == (expected, reason)


def test_docs_list_every_rule() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "workflows.md").read_text(encoding="utf-8")
    for rule in (*CREDIT_RULES, *TRANSIENT_RULES):
        assert f"| {rule.reason} |" in docs, rule.reason
    for status in TRANSIENT_EXIT_STATUSES:
        assert f"status {status}" in docs or f"{status} (" in docs
