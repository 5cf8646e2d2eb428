"""Request headers for the live proxy tests: what a proxy may forward, what it adds itself, and the headers a client
(or its environment) may send that must never reach PostHog.

PostHog's capture service reads from a request: Content-Type, Content-Encoding, User-Agent, the project key (in the
body for the v0 endpoints, ``Authorization: Bearer phc_...`` for ``/i/v1/analytics/events``) and, for v1, the four
``PostHog-*`` headers. It takes the client's address from X-Forwarded-For, Forwarded, X-Real-Ip, Fly-Client-IP,
True-Client-IP, CF-Connecting-IP or CloudFront-Viewer-Address before the socket (docs/proxy.md links the sources).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from tests.conftest import TEST_KEY
from tests.deploy.proxies import ProxyKind

__all__ = [
    "AMBIENT_AUTHORIZATIONS",
    "CADDY_2_6_LEAKS",
    "CLIENT_IDENTIFYING_HEADERS",
    "FORWARDED_FROM_CLIENT",
    "PROJECT_KEY_AUTHORIZATION",
    "assert_anonymous",
    "header_battery",
    "proxy_own_headers",
]

# The request headers a proxy forwards from the client, when present and not empty (Authorization only as a project
# key). Everything else the upstream sees is in proxy_own_headers().
FORWARDED_FROM_CLIENT = frozenset(
    {
        "content-type",
        "content-encoding",
        "user-agent",
        "authorization",
        "posthog-sdk-info",
        "posthog-attempt",
        "posthog-request-id",
        "posthog-request-timestamp",
    }
)
# What each proxy adds by itself: Host (PostHog's name) and Content-Length everywhere; nginx says `Connection:
# close` (HTTP/1.1 without keep-alive to the upstream); Caddy's Go transport asks for gzip.
_OWN: Mapping[ProxyKind, frozenset[str]] = {
    "worker": frozenset({"host", "content-length"}),
    "nginx": frozenset({"host", "content-length", "connection"}),
    "caddy": frozenset({"host", "content-length", "accept-encoding"}),
}

PROJECT_KEY_AUTHORIZATION = f"Bearer {TEST_KEY}"
# Authorization values that are not a PostHog project key, starting with what requests adds from a ~/.netrc
# `default` entry. None of them may reach PostHog.
AMBIENT_AUTHORIZATIONS = {
    "netrc-basic": "Basic dXNlcjpzM2NyZXQ=",
    "personal-key": "Bearer phx_personalKey0123456789abcdefghijklmnop",
    "other-bearer": "Bearer ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
    "digest": 'Digest username="user", realm="r", nonce="n", uri="/batch/", response="0123"',
    "phc-with-suffix": f"Bearer {TEST_KEY} extra",
    "phc-too-short": "Bearer phc_short",
}

# Sent deliberately with ingest requests; none of them, and none of their values, may reach PostHog.
CLIENT_IDENTIFYING_HEADERS = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Host": "client.example",
    "X-Real-IP": "203.0.113.8",
    "CF-Connecting-IP": "203.0.113.9",
    "CF-Connecting-IPv6": "2001:db8::7",
    "True-Client-IP": "203.0.113.10",
    "Forwarded": "for=203.0.113.11;proto=https",
    "X-Client-IP": "203.0.113.12",
    "X-Cluster-Client-IP": "203.0.113.13",
    "Fastly-Client-IP": "203.0.113.14",
    "X-Originating-IP": "203.0.113.15",
    "Client-IP": "203.0.113.16",
    "X-Remote-Addr": "203.0.113.17",
    "Fly-Client-IP": "203.0.113.18",
    "CloudFront-Viewer-Address": "203.0.113.19:46532",
    "Cookie": "session=cookie-secret",
}
# Seen reaching the upstream through Caddy 2.6 when it removed headers by pattern (issue 11, break 9).
CADDY_2_6_LEAKS = {
    "X-Azure-SocketIP": "203.0.113.31",
    "X-Real-IPv6": "2001:db8::31",
    "Remote-Host": "client-host.example",
    "CloudFront-Viewer-Country": "DE",
    "X-Vercel-IP-Country": "FR",
}

_PREFIXES = (
    "",
    "X-",
    "X-Original-",
    "X-Client-",
    "X-Real-",
    "X-Forwarded-",
    "X-Cluster-",
    "X-Azure-",
    "X-Vercel-",
    "X-Appengine-",
    "X-Amzn-",
    "X-Envoy-",
    "CF-",
    "CloudFront-Viewer-",
    "Fastly-",
    "Akamai-",
    "True-",
    "Fly-",
    "Remote-",
    "WL-Proxy-",
)
_STEMS = (
    "IP",
    "IPv6",
    "Addr",
    "Address",
    "Socket-IP",
    "Host",
    "User",
    "Country",
    "City",
    "Region",
    "Latitude",
    "Postal-Code",
    "Timezone",
    "ASN",
)
# Credentials and request-identifying headers a client or its environment may add; capture logs every header of a
# request carrying X-Capture-Debug, and reads X-Request-Id.
_OTHERS = (
    "Proxy-Authorization",
    "Cookie2",
    "X-Api-Key",
    "X-Auth-Token",
    "X-CSRF-Token",
    "X-Capture-Debug",
    "X-Request-Id",
    "Referer",
    "Origin",
    "Via",
    "From",
    "DNT",
    "Sec-GPC",
    "PostHog-Api-Token",
    "X-Archon-Unlisted",
)


def header_battery() -> dict[str, str]:
    """A deterministic battery of request headers none of which may reach PostHog: every combination of the usual
    client-address prefixes and stems (``X-Azure-Socket-IP``, ``CF-Country``, ``Fastly-ASN``...), credentials and
    request-identifying headers. Each value is a unique marker, so a forwarded value can be recognised."""
    names = {f"{prefix}{stem}" for prefix, stem in itertools.product(_PREFIXES, _STEMS)} | set(_OTHERS)
    names = {name for name in names if name.lower() not in FORWARDED_FROM_CLIENT | {"host"}}
    return {name: f"marker-{index:03d}.invalid" for index, name in enumerate(sorted(names))}


def proxy_own_headers(kind: ProxyKind) -> frozenset[str]:
    """The request headers ``kind`` adds by itself (names, lowercase)."""
    return _OWN[kind]


def assert_anonymous(kind: ProxyKind, seen: Mapping[str, str], sent: Mapping[str, str]) -> None:
    """The upstream saw only allow-listed names, none of the ``sent`` names outside the allow-list, and no ``sent``
    value of a header outside the allow-list (so nothing the proxy added carries a client value either)."""
    names = set(seen)
    may_see = FORWARDED_FROM_CLIENT | proxy_own_headers(kind)
    assert names <= may_see, sorted(names - may_see)
    refused = {name: value for name, value in sent.items() if name.lower() not in FORWARDED_FROM_CLIENT}
    assert not names & {name.lower() for name in refused}, sorted(names & {name.lower() for name in refused})
    for value in refused.values():
        assert not any(value in got for got in seen.values()), value
