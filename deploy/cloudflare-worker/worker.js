// archon telemetry reverse proxy as a Cloudflare Worker (tested live under workerd; see docs/proxy.md).
//
// It forwards only PostHog's ingest endpoints, as POST, to PostHog's ingest host (EU unless the
// POSTHOG_UPSTREAM variable in wrangler.toml says otherwise) and answers 404 to anything else without
// contacting PostHog. The request it sends is built from scratch with an allow-list of headers, so cookies
// and every client-address header (CF-Connecting-IP, X-Forwarded-For, X-Real-IP, True-Client-IP, Forwarded,
// ...) never reach PostHog. It holds no secret: the public phc_ project key travels inside the request
// unchanged. It logs nothing.

const DEFAULT_UPSTREAM = "https://eu.i.posthog.com";

// The ingest endpoints, with an optional trailing slash; anything else (flags, decide, api, ...) is 404.
const INGEST_PATH = /^\/(?:batch|e|capture|i\/v0\/e|i\/v1\/analytics\/events)\/?$/;

// Body cap: 1 MiB (1048576 bytes), checked against the declared length before the body is read.
const MAX_BODY_BYTES = 1024 * 1024;

// PostHog gets 15 s to answer; archon's sender keeps whatever was not accepted and retries later.
const UPSTREAM_TIMEOUT_MS = 15_000;

// The only request headers forwarded. Host is set by fetch() from the upstream URL, which also gives TLS
// its SNI name. Authorization carries the public phc_ key for PostHog's v1 capture endpoint.
const FORWARDED_HEADERS = [
  "content-type",
  "content-encoding",
  "user-agent",
  "authorization",
  "posthog-sdk-info",
  "posthog-attempt",
  "posthog-request-id",
  "posthog-request-timestamp",
];

function status(code, headers = {}) {
  return new Response(null, { status: code, headers });
}

export default {
  async fetch(request, env) {
    // The URL parser has already resolved dot segments, so the path checked is the path forwarded.
    const url = new URL(request.url);
    if (!INGEST_PATH.test(url.pathname) || url.search !== "") {
      return status(404);
    }
    if (request.method !== "POST") {
      return status(405, { allow: "POST" });
    }
    const declared = request.headers.get("content-length");
    if (declared === null) {
      return status(411);
    }
    if (Number(declared) > MAX_BODY_BYTES) {
      return status(413);
    }
    // The runtime holds the body to its declared length, so this is at most MAX_BODY_BYTES.
    const body = await request.arrayBuffer();

    const headers = new Headers();
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers.get(name);
      if (value !== null) {
        headers.set(name, value);
      }
    }
    const upstream = new URL(url.pathname, env.POSTHOG_UPSTREAM || DEFAULT_UPSTREAM);
    let response;
    try {
      response = await fetch(upstream, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
    } catch (error) {
      return status(error !== null && error.name === "TimeoutError" ? 504 : 502);
    }

    // PostHog's answer passes back unchanged, except that it sets no cookies.
    const answer = new Headers(response.headers);
    answer.delete("set-cookie");
    return new Response(response.body, { status: response.status, headers: answer });
  },
};
