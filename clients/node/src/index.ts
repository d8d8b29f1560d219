export { QuotaClient, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SETTLE_TIMEOUT_MS } from "./client.js";
export type { AcquireOptions, CallOptions, ConnectOptions, Logger, Priority } from "./client.js";
export type { Lease } from "./lease.js";
export { HubUnavailableError, QuotaExhaustedError, QuotaHubError } from "./errors.js";
export type { Refusal } from "./errors.js";
export { anthropic, gemini, generic, openai, PROVIDERS } from "./provider.js";
export type { HeaderSource, LimitKind, ProviderAdapter, ProviderAnswer, ProviderLimit, ProviderOutcome, ProviderReading } from "./provider.js";
export type { RetryOptions } from "./internal/call-runner.js";
