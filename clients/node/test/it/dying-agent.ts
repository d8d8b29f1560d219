/**
 * Helper of the heartbeat test (not a test): takes a lease on pool "hbdead", waits until a
 * heartbeat proved it, prints the lease's hub and id, and kills its own process with SIGKILL,
 * as a crashed agent would end: no settle, no more heartbeats.
 */
import { QuotaClient } from "../../src/index.js";

const client = await QuotaClient.connect({
  servers: (process.env.QH_NATS_SERVERS ?? "").split(","),
  agentId: "ts-it-dying",
  userPasswordFile: process.env.QH_AGENT_USERPASS ?? "",
  heartbeatIntervalMs: 200,
});
const lease = await client.acquire("hbdead", { tokens: 1, maxWaitMs: 3000 });
await new Promise((r) => setTimeout(r, 700));
process.stdout.write(JSON.stringify({ hubId: lease.hubId, leaseId: lease.leaseId }), () => process.kill(process.pid, "SIGKILL"));
