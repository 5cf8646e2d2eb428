// archon telemetry reverse proxy as a Cloudflare Worker (tested live under workerd; see docs/proxy.md).
//
// It forwards only PostHog's ingest endpoints, as POST, to PostHog's ingest host (EU unless the
// POSTHOG_UPSTREAM variable in wrangler.toml says otherwise) and answers 404 to anything else without
// contacting PostHog. It forwards only events it can show are for its own project: every project key in the
// request must be POSTHOG_PROJECT_KEY (a Worker secret), so it is no relay into other PostHog projects. It reads
// the JSON body (plain, gzip or deflate), checks it, and forwards its own serialisation of that JSON, so PostHog
// reads exactly what was checked. The request it sends is built from scratch with an allow-list of headers, so
// cookies, credentials and every client-address header (CF-Connecting-IP, X-Forwarded-For, X-Real-IP,
// True-Client-IP, Forwarded, ...) never reach PostHog. It logs nothing.
//
// Answers of its own: 404 not an ingest path (or a query string), 405 not POST, 411 no Content-Length,
// 413 body over 1 MiB (declared, decoded or re-serialised), 415 not a JSON body it can read, 400 not valid
// JSON (or a body cut short), 403 a project key that is not POSTHOG_PROJECT_KEY (or none), 500 no valid POSTHOG_PROJECT_KEY set,
// 502/504 PostHog unreachable or too slow. Anything else is PostHog's own answer.

const DEFAULT_UPSTREAM = "https://eu.i.posthog.com";

// The ingest endpoints, with an optional trailing slash; anything else (flags, decide, api, ...) is 404.
const INGEST_PATH = /^\/(?:batch|e|capture|i\/v0\/e|i\/v1\/analytics\/events)\/?$/;
// PostHog's v1 endpoint takes the project key from `Authorization: Bearer`, the others from the body.
const V1_PATH = /^\/i\/v1\/analytics\/events\/?$/;

// A PostHog project key, as archon's build accepts it; a personal phx_ key never is one.
const PROJECT_KEY = /^phc_[A-Za-z0-9_-]{8,128}$/;

// Body cap: 1 MiB (1048576 bytes), for the body as sent (checked against the declared length before it is
// read), as decoded, and as forwarded.
const MAX_BODY_BYTES = 1024 * 1024;

// PostHog gets 15 s to answer; archon's sender keeps whatever was not accepted and retries later.
const UPSTREAM_TIMEOUT_MS = 15_000;

// Content-Encoding values the Worker decodes (to DecompressionStream formats; deflate is zlib-wrapped, as HTTP
// and PostHog's SDKs mean it). Anything else (lz64, base64, br, zstd, ...) is 415: it could not be checked.
const DECODERS = new Map([
  ["identity", null],
  ["gzip", "gzip"],
  ["deflate", "deflate"],
]);

// Where PostHog's capture service finds a project key: these fields of the body and of each event
// (`token`, `$token`, `api_key`), and an event's `properties.token`.
const KEY_FIELDS = ["token", "$token", "api_key"];

// The client's request headers that are forwarded, when present (the four PostHog-* headers are required by the
// v1 endpoint). Host is set by fetch() from the upstream URL, which also gives TLS its SNI name; Content-Type
// and Authorization are set by the Worker itself.
const FORWARDED_HEADERS = [
  "user-agent",
  "posthog-sdk-info",
  "posthog-attempt",
  "posthog-request-id",
  "posthog-request-timestamp",
];

class Refusal extends Error {
  constructor(code) {
    super(String(code));
    this.code = code;
  }
}

function status(code, headers = {}) {
  return new Response(null, { status: code, headers });
}

// The body's bytes, decoded as its Content-Encoding says, at most MAX_BODY_BYTES of them.
async function decodedBody(request, encoding) {
  let raw;
  try {
    raw = await request.arrayBuffer(); // the runtime holds it to the declared length (at most the cap)
  } catch {
    throw new Refusal(400); // the body did not arrive as declared
  }
  const format = DECODERS.get(encoding);
  if (format === null) {
    return new Uint8Array(raw);
  }
  const reader = new Blob([raw]).stream().pipeThrough(new DecompressionStream(format)).getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch {
      throw new Refusal(400); // not valid gzip or deflate data
    }
    if (step.done) {
      break;
    }
    size += step.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new Refusal(413);
    }
    chunks.push(step.value);
  }
  const decoded = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    decoded.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoded;
}

// The JSON body: an object (a batch or one event) or an array of events; anything else is 400.
function parsedBody(bytes) {
  let value;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Refusal(400);
  }
  if (value === null || typeof value !== "object") {
    throw new Refusal(400);
  }
  return value;
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// Every project key the body carries, wherever capture may read one: the top level of an object body, each
// event of its `batch` (or of an array body), and each of these objects' `properties.token`.
function keysIn(body) {
  const found = [];
  const collect = (item) => {
    if (!isObject(item)) {
      return;
    }
    for (const field of KEY_FIELDS) {
      if (Object.hasOwn(item, field)) {
        found.push(item[field]);
      }
    }
    if (isObject(item.properties) && Object.hasOwn(item.properties, "token")) {
      found.push(item.properties.token);
    }
  };
  const events = Array.isArray(body) ? body : Array.isArray(body.batch) ? body.batch : [];
  if (!Array.isArray(body)) {
    collect(body);
  }
  events.forEach(collect);
  return found;
}

// True when `Authorization` is `Bearer <project key>` (the scheme is case-insensitive, as capture reads it).
function bearsKey(authorization, projectKey) {
  return (
    authorization !== null &&
    authorization.slice(0, 7).toLowerCase() === "bearer " &&
    authorization.slice(7).trim() === projectKey
  );
}

// The request to send to PostHog, or the status the Worker answers itself.
async function checkedRequest(request, url, env) {
  const projectKey = env.POSTHOG_PROJECT_KEY;
  if (typeof projectKey !== "string" || !PROJECT_KEY.test(projectKey)) {
    throw new Refusal(500); // deployed without its project key: forward nothing
  }
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (mediaType !== "application/json" || !DECODERS.has(encoding)) {
    throw new Refusal(415);
  }
  const body = parsedBody(await decodedBody(request, encoding));

  const isV1 = V1_PATH.test(url.pathname);
  const authorized = bearsKey(request.headers.get("authorization"), projectKey);
  const keys = keysIn(body);
  if ((isV1 ? !authorized : keys.length === 0) || !keys.every((key) => key === projectKey)) {
    throw new Refusal(403);
  }

  const forwarded = new TextEncoder().encode(JSON.stringify(body));
  if (forwarded.byteLength > MAX_BODY_BYTES) {
    throw new Refusal(413);
  }
  const headers = new Headers({ "content-type": "application/json" });
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) {
      headers.set(name, value);
    }
  }
  if (authorized) {
    headers.set("authorization", `Bearer ${projectKey}`);
  }
  return { headers, body: forwarded };
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
    let checked;
    try {
      checked = await checkedRequest(request, url, env);
    } catch (error) {
      if (error instanceof Refusal) {
        return status(error.code);
      }
      throw error;
    }

    const upstream = new URL(url.pathname, env.POSTHOG_UPSTREAM || DEFAULT_UPSTREAM);
    let response;
    try {
      response = await fetch(upstream, {
        method: "POST",
        headers: checked.headers,
        body: checked.body,
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
