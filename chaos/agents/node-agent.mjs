// One Node agent of the chaos suite's cross-language scenario (docs/chaos.md): the TypeScript SDK
// built in clients/node/dist, the agents' NATS user, its own machine's nats-server first. While its
// stdin is open it acquires a lease on the pool, calls the provider simulator with the leased key,
// settles by the provider's answer and thinks; every step is one JSON line on stdout, which the
// suite records as it records its Java agents. Times are epoch milliseconds. It stops when its stdin
// closes (the suite's end, or the suite's death), reporting a want it could not meet.
//
//   node chaos/agents/node-agent.mjs --agent node-main-1 --side main --pool chaos \
//        --servers nats://127.0.0.1:4222,nats://127.0.0.1:4223 --provider http://127.0.0.1:8000 --think-ms 600
//   environment: QH_AGENT_USERPASS, the agents' NATS user file (one line user:password)
import { parseArgs } from "node:util";
import { HubUnavailableError, QuotaClient, QuotaExhaustedError, QuotaHubError } from "../../clients/node/dist/src/index.js";

const { values: args } = parseArgs({
  options: {
    agent: { type: "string" },
    side: { type: "string" },
    pool: { type: "string", default: "chaos" },
    servers: { type: "string" },
    provider: { type: "string" },
    "think-ms": { type: "string", default: "600" },
  },
});
for (const name of ["agent", "side", "servers", "provider"]) {
  if (!args[name]) {
    process.stderr.write(`node-agent: --${name} is required\n`);
    process.exit(2);
  }
}
const agent = args.agent;
const side = args.side;
const pool = args.pool;
const thinkMs = Number(args["think-ms"]);
const MAX_WAIT_MS = 2000;

const now = () => performance.timeOrigin + performance.now();
const emit = (event, fields) => process.stdout.write(JSON.stringify({ event, agent, ...fields }) + "\n");

let stopping = false;
let wake = () => {};
const stopped = new Promise((resolve) => { wake = resolve; });
process.stdin.on("end", () => { stopping = true; wake(); });
process.stdin.on("error", () => { stopping = true; wake(); });
process.stdin.resume();
const sleep = (ms) => Promise.race([new Promise((r) => setTimeout(r, ms)), stopped]);

/** POST /v1/complete with the leased key, as the suite's ProviderCaller does: its status (0 on an I/O error) and Retry-After in seconds. */
async function callProvider(apiKey, tokens) {
  try {
    const r = await fetch(new URL("/v1/complete", args.provider), {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ tokens }),
      signal: AbortSignal.timeout(5000),
    });
    await r.arrayBuffer();
    const retryAfter = Number.parseInt(r.headers.get("retry-after") ?? "", 10);
    return { status: r.status, retryAfterSeconds: Number.isNaN(retryAfter) ? 1 : retryAfter };
  } catch {
    return { status: 0, retryAfterSeconds: 0 };
  }
}

const client = await QuotaClient.connect({
  servers: args.servers.split(","),
  agentId: agent,
  userPasswordFile: process.env.QH_AGENT_USERPASS || undefined,
  logger: { debug() {}, info() {}, warn: (m) => process.stderr.write(`${m}\n`) },
});
emit("ready", { side, pool, runtime: `node ${process.version}` });

let wantedSince = null;
while (!stopping) {
  wantedSince ??= now();
  const asked = now();
  let lease;
  try {
    lease = await client.acquire(pool, { tokens: 1, maxWaitMs: MAX_WAIT_MS });
  } catch (e) {
    if (e instanceof QuotaExhaustedError) {
      emit("miss", { pool, kind: "refused", code: e.code, retryAfterMs: e.retryAfterMs, latencyMs: now() - asked, at: now() });
      await sleep(Math.min(Math.max(e.retryAfterMs || 100, 10), 1000));
    } else if (e instanceof HubUnavailableError) {
      emit("miss", { pool, kind: "unavailable", code: "UNAVAILABLE", retryAfterMs: 0, latencyMs: now() - asked, at: now() });
      await sleep(20);
    } else {
      const code = e instanceof QuotaHubError ? e.code : (e?.name ?? "Error");
      emit("miss", { pool, kind: "error", code, retryAfterMs: 0, latencyMs: now() - asked, at: now(), message: String(e?.message ?? e) });
      await sleep(50);
    }
    continue;
  }
  emit("lease", { side, pool, hub: lease.hubId, key: lease.keyId, lease: lease.leaseId, wantedSince, at: now() });
  wantedSince = null;
  const answer = await callProvider(lease.apiKey, 1);
  emit("call", { key: lease.keyId, status: answer.status, at: now() });
  const outcome = answer.status === 200 ? "OK" : answer.status === 429 ? "RATE_LIMITED" : "ERROR";
  emit("settle", { pool, lease: lease.leaseId, outcome, tokens: 1, at: now() });
  try {
    if (answer.status === 200) {
      await lease.complete(1);
    } else if (answer.status === 429) {
      await lease.rateLimited(answer.retryAfterSeconds * 1000);
    } else {
      await lease.failed(`http ${answer.status}`);
    }
  } catch (e) {
    const code = e instanceof QuotaHubError ? e.code : (e?.name ?? "Error");
    emit("miss", { pool, kind: "settle", code, retryAfterMs: 0, latencyMs: 0, at: now() });
  }
  await sleep(thinkMs);
}
if (wantedSince !== null) {
  emit("want", { side, pool, from: wantedSince, to: now() });
}
await client.close();
process.stdout.write(JSON.stringify({ event: "stopped", agent }) + "\n", () => process.exit(0));
