# TEST-ONLY workerd config for deploy/cloudflare-worker/worker.js; tests/deploy/proxies.py fills in the placeholders.
# It differs from production (wrangler.toml on Cloudflare) in one deliberate way: the "internet" service, which
# carries the Worker's outbound fetch(), also allows "local" addresses, so the Worker can reach the loopback
# stand-in for PostHog. workerd's default allows only public addresses; production must never allow local ones.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .proxyWorker),
    (name = "internet", network = (allow = ["public", "local"])),
  ],
  sockets = [(name = "http", address = ${address}, http = (), service = "main")],
);

const proxyWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "/worker.js")],
  compatibilityDate = ${compatibility_date},
  bindings = [${bindings}],
);
