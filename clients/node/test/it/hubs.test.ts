/**
 * The SDK against two real hubs (both nats-servers, both hub jars, the agents' NATS user with
 * production permissions), started by the Maven module's NodeClientIT, which passes them in the
 * environment. Tests run in order: the last one kills a hub.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { HubUnavailableError, QuotaClient, QuotaExhaustedError, QuotaHubError, type Lease } from "../../src/index.js";

const env = process.env;
const servers = env.QH_NATS_SERVERS?.split(",") ?? [];
const userPasswordFile = env.QH_AGENT_USERPASS ?? "";
const hubUrls = Object.fromEntries((env.QH_HUB_URLS ?? "").split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]));
const hubPids = Object.fromEntries((env.QH_HUB_PIDS ?? "").split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]));
const skip = servers.length === 0 ? "QH_NATS_SERVERS is not set (run through NodeClientIT)" : false;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };

function connect(agentId: string, extra: Partial<Parameters<typeof QuotaClient.connect>[0]> = {}) {
  return QuotaClient.connect({ servers, agentId, userPasswordFile, logger: quiet, ...extra });
}

async function until(what: string, check: () => boolean | Promise<boolean>, withinMs: number): Promise<void> {
  const end = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`${what} within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface HubState {
  agents: Record<string, string>;
  pools: Array<{ name: string; inFlight: number }>;
}

async function hubState(hubId: string): Promise<HubState> {
  const res = await fetch(`${hubUrls[hubId]}/api/v1/state`, { headers: { authorization: `Bearer ${env.QH_VIEWER_TOKEN}` } });
  assert.equal(res.status, 200, `GET /api/v1/state of ${hubId}`);
  return (await res.json()) as HubState;
}

describe("@quotahub/agent against two real hubs", { skip }, () => {
  let client: QuotaClient;

  before(async () => {
    client = await connect("ts-it-1");
  });

  after(async () => {
    await client?.close();
  });

  test("acquire_grantsALeaseWithTheKeyAndCompleteSettlesIt", async () => {
    const lease = await client.acquire("ts", { tokens: 120, maxWaitMs: 5000 });
    assert.match(lease.apiKey, /^sk-chaos-/);
    assert.equal(lease.pool, "ts");
    assert.equal(lease.keyId, "k1");
    assert.equal(lease.tokens, 120);
    assert.ok(["main", "edge"].includes(lease.hubId));
    assert.ok(lease.expiresAt.getTime() > Date.now());
    assert.ok(!String(lease).includes(lease.apiKey), "toString masks the key");
    assert.ok(!JSON.stringify(lease).includes(lease.apiKey), "JSON masks the key");
    assert.deepEqual(client.openLeaseIds(), [lease.leaseId]);
    await lease.complete(97);
    assert.equal(lease.settled, true);
    assert.deepEqual(client.openLeaseIds(), []);
    await assert.rejects(lease.complete(1), (e: QuotaHubError) => e.code === QuotaHubError.ALREADY_SETTLED);
    await until("both hubs announced", () => client.knownHubs().length === 2, 3000);
    assert.deepEqual(client.knownHubs(), ["edge", "main"]);
  });

  test("acquire_aRefusalAfterMaxWaitRejectsWithQuotaExhaustedAndItsRetryAfter", async () => {
    const leases: Lease[] = [];
    let refusal: QuotaExhaustedError | null = null;
    for (let i = 0; i < 6 && refusal === null; i++) {
      try {
        leases.push(await client.acquire("refuse", { tokens: 1, maxWaitMs: 0 }));
      } catch (e) {
        assert.ok(e instanceof QuotaExhaustedError, `a refusal, was ${String(e)}`);
        refusal = e;
      }
    }
    assert.ok(refusal !== null, "the 2/h pool refused within 6 acquires");
    assert.ok(leases.length >= 1 && leases.length <= 2, `granted ${leases.length}`);
    assert.ok(["QUOTA_EXHAUSTED", "BUDGET_EXHAUSTED"].includes(refusal.code), refusal.code);
    assert.equal(refusal.pool, "refuse");
    assert.ok(refusal.retryAfterMs >= 1_000 && refusal.retryAfterMs <= 3_600_000, `retryAfterMs ${refusal.retryAfterMs} of a 1 h window`);
    assert.ok(refusal.reason.length > 0);
    for (const l of leases) await l.complete(1);
  });

  test("tryAcquire_returnsNullWhenRefusedAndALeaseWhenThereIsRoom", async () => {
    assert.equal(await client.tryAcquire("refuse", { tokens: 1 }), null);
    const lease = await client.tryAcquire("ts", { tokens: 1 });
    assert.ok(lease !== null);
    await lease.complete(1);
  });

  test("acquire_waitsForTheWindowToFreeAndThenGrants", async () => {
    const held: Lease[] = [];
    for (let l = await client.tryAcquire("wait", { tokens: 1 }); l !== null; l = await client.tryAcquire("wait", { tokens: 1 })) {
      held.push(l);
      assert.ok(held.length <= 2, "a 2/3s pool grants at most 2 at once");
    }
    for (const l of held) await l.complete(1);
    const started = Date.now();
    const lease = await client.acquire("wait", { tokens: 1, maxWaitMs: 8000 });
    const waited = Date.now() - started;
    assert.ok(waited > 100, `waited ${waited} ms for the window`);
    await lease.complete(1);
  });

  test("lease_rateLimitedCoolsTheKeyAndAuthFailedDisablesIt", async () => {
    const lease = await client.acquire("authy", { tokens: 1, maxWaitMs: 3000 });
    await lease.rateLimited(30_000);
    await assert.rejects(client.acquire("authy", { tokens: 1, maxWaitMs: 0 }),
      (e: QuotaExhaustedError) => e instanceof QuotaExhaustedError && ["COOLDOWN", "BUDGET_EXHAUSTED"].includes(e.code));
    const other = await client.acquire("wait", { tokens: 1, maxWaitMs: 8000 });
    await other.authFailed();
    await until("the key disabled after an auth failure", async () => {
      try {
        (await client.acquire("wait", { tokens: 1, maxWaitMs: 0 })).complete(1);
        return false;
      } catch (e) {
        return e instanceof QuotaExhaustedError && e.code === "KEY_DISABLED";
      }
    }, 5000);
    const failing = await client.acquire("ts", { tokens: 5, maxWaitMs: 3000 });
    await failing.failed(`provider timeout with ${failing.apiKey} and some more text `.repeat(10));
    assert.ok(failing.settled);
  });

  test("errors_everyKindHasItsClassAndCode", async () => {
    await assert.rejects(client.acquire("no-such-pool", { tokens: 1, maxWaitMs: 0 }),
      (e: QuotaHubError) => e instanceof QuotaHubError && !(e instanceof QuotaExhaustedError) && e.code === "UNKNOWN_POOL");
    await assert.rejects(client.acquire("ts", { tokens: 0 }), RangeError);
    await assert.rejects(client.acquire("ts", { tokens: 1.5 }), RangeError);
    await assert.rejects(client.acquire(" ", { tokens: 1 }), TypeError);
    await assert.rejects(client.acquire("p".repeat(129), { tokens: 1 }), RangeError);
    await assert.rejects(client.acquire("ts", { tokens: 1, maxWaitMs: -1 }), RangeError);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(client.acquire("ts", { tokens: 1, signal: aborted.signal }), { name: "AbortError" });
    await assert.rejects(QuotaClient.connect({ servers: ["nats://127.0.0.1:1"], agentId: "nobody", logger: quiet }),
      (e: HubUnavailableError) => e instanceof HubUnavailableError && e.code === "HUB_UNAVAILABLE");
    await assert.rejects(QuotaClient.connect({ servers, agentId: "x".repeat(129) }), RangeError);
    const closing = await connect("ts-it-closing");
    const open = await closing.acquire("ts", { tokens: 7, maxWaitMs: 3000 });
    const warnings: string[] = [];
    const logged = await connect("ts-it-closing-2", { logger: { ...quiet, warn: (m) => warnings.push(m) } });
    const open2 = await logged.acquire("ts", { tokens: 7, maxWaitMs: 3000 });
    await logged.close();
    assert.ok(open2.settled, "close settles an open lease with its estimate");
    assert.ok(warnings.some((w) => w.includes(open2.leaseId) && w.includes("estimate")), warnings.join("\n"));
    await closing.close();
    assert.ok(open.settled);
    await assert.rejects(closing.acquire("ts", { tokens: 1 }), (e: QuotaHubError) => e.code === QuotaHubError.CLOSED);
  });

  test("heartbeats_keepALeaseAliveWhileASilentAgentsLeaseIsReclaimed", async () => {
    const alive = await connect("ts-it-alive", { heartbeatIntervalMs: 300 });
    try {
      const lease = await alive.acquire("hb", { tokens: 1, maxWaitMs: 3000 });
      // an agent that takes a lease, proves it in a heartbeat, then dies (kill -9 of its process)
      const child = spawn(process.execPath, [fileURLToPath(new URL("./dying-agent.js", import.meta.url))], {
        env: { ...env }, stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.on("exit", r));
      const dead = JSON.parse(out) as { hubId: string; leaseId: string };
      await until("the silent agent's lease reclaimed", async () =>
        (await hubState(dead.hubId)).pools.find((p) => p.name === "hbdead")?.inFlight === 0, 6000);
      const state = await hubState(lease.hubId);
      assert.equal(state.agents["ts-it-alive"], "HEALTHY");
      assert.ok((state.pools.find((p) => p.name === "hb")?.inFlight ?? 0) >= 1, "the heartbeating agent's lease is still held");
      await lease.complete(1);
    } finally {
      await alive.close();
    }
  });

  test("failover_afterKill9OfItsHubTheNextAcquireSucceedsOnTheOtherHubWithin1s", async () => {
    const agent = await connect("ts-it-failover");
    try {
      await until("both hubs announced", () => agent.knownHubs().length === 2, 3000);
      const first = await agent.acquire("ts", { tokens: 1, maxWaitMs: 3000 });
      await first.complete(1);
      const used = first.hubId;
      const other = used === "main" ? "edge" : "main";
      process.kill(Number(hubPids[used]), "SIGKILL");
      const started = performance.now();
      const lease = await agent.acquire("ts", { tokens: 1, maxWaitMs: 5000 });
      const tookMs = performance.now() - started;
      console.log(`# failover: hub ${used} killed, next acquire granted by ${lease.hubId} in ${tookMs.toFixed(0)} ms`);
      assert.equal(lease.hubId, other);
      assert.ok(tookMs < 1000, `the acquire after the kill took ${tookMs.toFixed(0)} ms`);
      await lease.complete(1);
    } finally {
      await agent.close();
    }
  });
});
