export { QuotaClient, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SETTLE_TIMEOUT_MS } from "./client.js";
export type { AcquireOptions, ConnectOptions, Logger, Priority } from "./client.js";
export type { Lease } from "./lease.js";
export { HubUnavailableError, QuotaExhaustedError, QuotaHubError } from "./errors.js";
export type { Refusal } from "./errors.js";
