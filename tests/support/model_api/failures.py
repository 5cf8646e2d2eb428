"""The errors the model APIs really send, by kind: status, JSON body and headers, for Anthropic and for OpenAI.

Shapes as documented (https://docs.claude.com/en/api/errors, OpenAI's error codes guide) and as the CLIs' own
parsers expect them: Anthropic ``{"type":"error","error":{"type","message"},"request_id"}`` with a ``request-id``
header, OpenAI ``{"error":{"message","type","param","code"}}`` with ``x-request-id``. Rate limits carry
``retry-after`` and the vendors' rate-limit headers. The in-stream forms (Anthropic's ``event: error``, OpenAI's
``response.failed``) are built from the same table.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum

__all__ = ["AnthropicError", "Failure", "OpenAiError", "anthropic_error", "openai_error"]


class Failure(Enum):
    """What went wrong, in words both APIs have an answer for."""

    INVALID_REQUEST = "invalid_request"
    CREDIT_BALANCE = "credit_balance"  # Anthropic 400 "Your credit balance is too low ..."
    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"  # OpenAI 429 insufficient_quota
    SERVER_ERROR = "server_error"
    OVERLOADED = "overloaded"  # Anthropic 529, OpenAI 503


CREDIT_MESSAGE = (
    "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or "
    "purchase credits."
)

_ANTHROPIC: dict[Failure, tuple[int, str, str]] = {
    Failure.INVALID_REQUEST: (400, "invalid_request_error", "messages: text content blocks must be non-empty"),
    Failure.CREDIT_BALANCE: (400, "invalid_request_error", CREDIT_MESSAGE),
    Failure.AUTHENTICATION: (401, "authentication_error", "invalid x-api-key"),
    Failure.PERMISSION: (
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    Failure.NOT_FOUND: (404, "not_found_error", "model: claude-fake-missing"),
    Failure.TOO_LARGE: (413, "request_too_large", "Request exceeds the maximum allowed number of bytes."),
    Failure.RATE_LIMIT: (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute. For details, "
        "refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. "
        "Please reduce the prompt length or the maximum tokens requested, or try again later.",
    ),
    Failure.QUOTA: (400, "invalid_request_error", CREDIT_MESSAGE),
    Failure.SERVER_ERROR: (500, "api_error", "Internal server error"),
    Failure.OVERLOADED: (529, "overloaded_error", "Overloaded"),
}

_OPENAI: dict[Failure, tuple[int, str, str | None, str]] = {
    Failure.INVALID_REQUEST: (
        400,
        "invalid_request_error",
        None,
        "Invalid 'input[0].content': empty array. Expected an array with minimum length 1.",
    ),
    Failure.CREDIT_BALANCE: (
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. For more information on this "
        "error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    ),
    Failure.AUTHENTICATION: (
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-fake-*******key. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    Failure.PERMISSION: (
        403,
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    Failure.NOT_FOUND: (
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `gpt-fake-missing` does not exist or you do not have access to it.",
    ),
    Failure.TOO_LARGE: (
        413,
        "invalid_request_error",
        None,
        "Request too large. The request body must be at most 50 MB.",
    ),
    Failure.RATE_LIMIT: (
        429,
        "tokens",
        "rate_limit_exceeded",
        "Rate limit reached for gpt-5.5 in organization org-fake on tokens per min (TPM): Limit 30000, Used 29500, "
        "Requested 1200. Please try again in 1.4s. Visit https://platform.openai.com/account/rate-limits to learn "
        "more.",
    ),
    Failure.QUOTA: (
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. For more information on this "
        "error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    ),
    Failure.SERVER_ERROR: (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    Failure.OVERLOADED: (503, "server_error", None, "The engine is currently overloaded, please try again later"),
}


@dataclass(frozen=True)
class AnthropicError:
    status: int
    error_type: str
    message: str
    request_id: str
    headers: tuple[tuple[str, str], ...]

    def body(self) -> dict[str, object]:
        return {
            "type": "error",
            "error": {"type": self.error_type, "message": self.message},
            "request_id": self.request_id,
        }

    def stream_event(self) -> dict[str, object]:
        """The ``event: error`` payload the Messages API sends inside a stream (no request_id there)."""
        return {"type": "error", "error": {"type": self.error_type, "message": self.message}}


@dataclass(frozen=True)
class OpenAiError:
    status: int
    error_type: str
    code: str | None
    message: str
    request_id: str
    headers: tuple[tuple[str, str], ...]

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.error_type, "param": None, "code": self.code}}


def _anthropic_ratelimit_headers() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in ("requests", "input-tokens", "output-tokens"):
        out += [
            (f"anthropic-ratelimit-{name}-limit", "50"),
            (f"anthropic-ratelimit-{name}-remaining", "0"),
            (f"anthropic-ratelimit-{name}-reset", "2026-01-01T00:00:01Z"),
        ]
    return out


def _openai_ratelimit_headers() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in ("requests", "tokens"):
        out += [(f"x-ratelimit-limit-{name}", "30000"), (f"x-ratelimit-remaining-{name}", "0")]
        out.append((f"x-ratelimit-reset-{name}", "1.4s"))
    return out


def anthropic_error(failure: Failure) -> AnthropicError:
    status, error_type, message = _ANTHROPIC[failure]
    request_id = "req_011" + secrets.token_hex(10)
    headers: list[tuple[str, str]] = [("request-id", request_id), ("x-should-retry", str(status >= 500).lower())]
    if status == 429:
        headers = [("request-id", request_id), ("x-should-retry", "true"), ("retry-after", "1")]
        headers += _anthropic_ratelimit_headers()
    return AnthropicError(status, error_type, message, request_id, tuple(headers))


def openai_error(failure: Failure) -> OpenAiError:
    status, error_type, code, message = _OPENAI[failure]
    request_id = "req_" + secrets.token_hex(16)
    headers: list[tuple[str, str]] = [("x-request-id", request_id), ("openai-version", "2020-10-01")]
    if status == 429:
        headers += _openai_ratelimit_headers()
        if code == "rate_limit_exceeded":
            headers.append(("retry-after", "1"))
    return OpenAiError(status, error_type, code, message, request_id, tuple(headers))
