from __future__ import annotations

from pathlib import Path

import pytest

from archon.workflows.classify import (
    CREDIT_RULES,
    TRANSIENT_EXIT_STATUSES,
    TRANSIENT_RULES,
    Classification,
    classify_failure,
)

CASES = [
    # (stderr, stdout, returncode, expected, reason)
    ("API Error: 429 rate_limit_error: per-minute rate limit exceeded", "", 1, "transient", "rate limited"),
    ("Error: 429 Too Many Requests", "", 1, "transient", "rate limited"),
    ('API Error: 529 {"type":"overloaded_error"}', "", 1, "transient", "provider overloaded"),
    ("HTTP 503 Service Unavailable", "", 1, "transient", "service unavailable"),
    ("stream error: Request timed out.", "", 1, "transient", "timed out"),
    ("getaddrinfo ENOTFOUND api.anthropic.com", "", 1, "transient", "network error"),
    ("curl: (6) Could not resolve host: github.com", "", 6, "transient", "network error"),
    ("read ECONNRESET", "", 1, "transient", "network error"),
    (
        "ERROR: You exceeded your current quota, please check your plan and billing details.",
        "",
        1,
        "credit_exhausted",
        "quota exhausted",
    ),
    # OpenAI reports an exhausted quota as a 429: credit rules win over the rate-limit rule.
    ('Error: 429 {"error":{"code":"insufficient_quota"}}', "", 1, "credit_exhausted", "quota exhausted"),
    ("Your credit balance is too low to access the Anthropic API.", "", 1, "credit_exhausted", "credit exhausted"),
    ("", "Claude AI usage limit reached|1767225600", 1, "credit_exhausted", "usage limit reached"),
    ("You've hit your usage limit. Upgrade to Pro.", "", 1, "credit_exhausted", "usage limit reached"),
    ("HTTP 402 Payment Required", "", 1, "credit_exhausted", "billing"),
    ("", "", 75, "transient", "temporary failure (exit status 75, EX_TEMPFAIL)"),
    ("", "", 124, "transient", "timed out (exit status 124, as timeout(1))"),
    ("Traceback (most recent call last):\nKeyError: 'x'", "", 1, "fatal", "exit status 1"),
    ("Segmentation fault", "", -11, "fatal", "killed by signal 11"),
    # Numbers alone are not status codes: no false positive on a line number or a count.
    ("error in line 429 of setup.py; 503 tests collected", "", 2, "fatal", "exit status 2"),
]


@pytest.mark.parametrize(("stderr", "stdout", "returncode", "expected", "reason"), CASES)
def test_failures_are_classified_by_the_documented_rules(
    stderr: str, stdout: str, returncode: int, expected: Classification, reason: str
) -> None:
    got = classify_failure(timed_out=False, started=True, returncode=returncode, stdout=stdout, stderr=stderr)
    assert (got.classification, got.reason) == (expected, reason)


def test_a_timeout_is_transient_whatever_was_printed() -> None:
    got = classify_failure(timed_out=True, started=True, returncode=-15, stdout="", stderr="insufficient_quota")
    assert got.classification == "transient"


def test_a_process_that_never_started_is_fatal() -> None:
    got = classify_failure(timed_out=False, started=False, returncode=None, stdout="", stderr="rate limit")
    assert (got.classification, got.reason) == ("fatal", "could not be started")


def test_only_the_end_of_stdout_counts() -> None:
    long_answer = "we discussed the rate limit of the API at length.\n" + "x" * 10_000 + "\n"
    got = classify_failure(timed_out=False, started=True, returncode=1, stdout=long_answer, stderr="")
    assert got.classification == "fatal"


def test_docs_list_every_rule() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "workflows.md").read_text(encoding="utf-8")
    for rule in (*CREDIT_RULES, *TRANSIENT_RULES):
        assert f"| {rule.reason} |" in docs, rule.reason
    for status in TRANSIENT_EXIT_STATUSES:
        assert f"status {status}" in docs or f"{status} (" in docs
