import {
  at, count, goDuration, headerMap, httpDate, jsonBody, jsonCount, millis, protoDuration, rfc3339, seconds,
  type HeaderSource,
} from "./internal/provider-parse.js";

export type { HeaderSource };

/** How a provider call went, as its answer says. */
export type ProviderOutcome = "OK" | "RATE_LIMITED" | "AUTH_FAILED" | "ERROR";

/** Which of a provider's limits a {@link ProviderLimit} describes. */
export type LimitKind = "REQUESTS" | "TOKENS" | "INPUT_TOKENS" | "OUTPUT_TOKENS";

/** One limit as the provider described it; a field it did not send is absent. */
export interface ProviderLimit {
  readonly kind: LimitKind;
  /** The provider's limit for its window. */
  readonly limit?: number;
  /** What the provider says is left in the window. */
  readonly remaining?: number;
  /** When the window has room again, in ms from the answer's arrival. */
  readonly resetAfterMs?: number;
}

/**
 * What a provider said in one answer: how the call went and what it said about the key's limits.
 * Holds numbers, kinds and the provider's quota name only: never text of the body (a provider's
 * message may echo part of the key).
 */
export interface ProviderReading {
  readonly outcome: ProviderOutcome;
  /** With `ERROR` only: whether a retry may succeed (5xx, overloaded), not for other 4xx. */
  readonly transient?: boolean;
  /** With `RATE_LIMITED` (or a transient `ERROR`): the wait the provider asked for, absent when it gave none. */
  readonly retryAfterMs?: number;
  /** The tokens the provider counted for the call (from the body's usage), absent when it does not say. */
  readonly tokensUsed?: number;
  /** The provider's name of the limit that refused (Gemini's `QuotaFailure` `quotaId`). */
  readonly quotaId?: string;
  /** Every limit the answer described, in the order REQUESTS, TOKENS, INPUT_TOKENS, OUTPUT_TOKENS. */
  readonly limits: readonly ProviderLimit[];
}

/** A provider's HTTP answer, from any HTTP client. */
export interface ProviderAnswer {
  /** The HTTP status, 100–599. */
  status: number;
  /** The headers: fetch's `Headers`, a plain object, a `Map` or name/value pairs; names match case-insensitively. */
  headers?: HeaderSource | null;
  /** The body's text (read for usage and error details, never copied anywhere). */
  body?: string | null;
  /** When the answer arrived (epoch ms): absolute resets and HTTP dates are read relative to it. Default: now. */
  receivedAtMs?: number;
}

/** Reads one provider's answers. Pure: the same answer always reads the same. */
export interface ProviderAdapter {
  /** `openai`, `anthropic`, `gemini` or `generic`. */
  readonly name: string;
  /**
   * Reads an answer given as status, headers and body text.
   * @throws RangeError if `status` is not an integer 100–599
   * @throws TypeError if `headers` is not headers
   */
  read(answer: ProviderAnswer): ProviderReading;
  /**
   * Reads a fetch `Response` without consuming it (the body is read from a clone, and only when it is
   * JSON: a stream is never waited for).
   * @param receivedAtMs when the answer arrived (epoch ms), default now
   */
  readResponse(response: Response, receivedAtMs?: number): Promise<ProviderReading>;
}

const KIND_ORDER: readonly LimitKind[] = ["REQUESTS", "TOKENS", "INPUT_TOKENS", "OUTPUT_TOKENS"];
const SAFE_QUOTA_ID = /^[A-Za-z0-9._:/-]{1,128}$/;

/** What distinguishes one provider from another; everything else (statuses, Retry-After) is common. */
interface Dialect {
  name: string;
  /** Limits from the rate-limit headers. */
  headerLimits?(headers: Map<string, string>, receivedAtMs: number): ProviderLimit[];
  /** Tokens counted for a successful call, from the parsed body. */
  tokensUsed?(json: unknown): number | undefined;
  /** Whether a 4xx other than 401/403 says the key itself is unusable. */
  keyUnusable?(status: number, json: unknown): boolean;
  /** What the body of a 429 says: the provider's own retry hint, the refused quota and its limits. */
  refusal?(json: unknown): { retryAfterMs?: number; quotaId?: string; limits: ProviderLimit[] };
}

function adapter(d: Dialect): ProviderAdapter {
  const read = (answer: ProviderAnswer): ProviderReading => readAnswer(d, answer);
  return Object.freeze({
    name: d.name,
    read,
    async readResponse(response: Response, receivedAtMs?: number): Promise<ProviderReading> {
      const at = receivedAtMs ?? Date.now();
      return read({ status: response.status, headers: response.headers, body: await bodyOf(response), receivedAtMs: at });
    },
  });
}

function readAnswer(d: Dialect, answer: ProviderAnswer): ProviderReading {
  if (answer === null || typeof answer !== "object") throw new TypeError("answer must be { status, headers, body }");
  const status = answer.status;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new RangeError(`status must be an HTTP status 100-599, was ${String(status)}`);
  }
  const headers = headerMap(answer.headers);
  const receivedAt = answer.receivedAtMs ?? Date.now();
  if (!Number.isFinite(receivedAt)) throw new RangeError(`receivedAtMs must be a finite epoch ms, was ${receivedAt}`);
  let parsed: { json: unknown } | null = null;
  const json = () => (parsed ??= { json: jsonBody(answer.body ?? undefined) }).json;

  const limits = [...(d.headerLimits?.(headers, receivedAt) ?? [])];
  let outcome: ProviderOutcome;
  let transient: boolean | undefined;
  let quotaId: string | undefined;
  let hint: number | undefined;
  if (status < 400) {
    outcome = "OK";
  } else if (status === 401 || status === 403 || d.keyUnusable?.(status, json()) === true) {
    outcome = "AUTH_FAILED";
  } else if (status === 429) {
    outcome = "RATE_LIMITED";
    const r = d.refusal?.(json());
    if (r !== undefined) {
      hint = r.retryAfterMs;
      quotaId = r.quotaId !== undefined && SAFE_QUOTA_ID.test(r.quotaId) ? r.quotaId : undefined;
      for (const l of r.limits) if (!limits.some((x) => x.kind === l.kind)) limits.push(l);
    }
  } else {
    outcome = "ERROR";
    transient = status >= 500;
  }
  limits.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));

  const reading: { -readonly [K in keyof ProviderReading]: ProviderReading[K] } = { outcome, limits };
  if (transient !== undefined) reading.transient = transient;
  if (outcome === "RATE_LIMITED" || transient === true) {
    const wait = retryAfter(headers, receivedAt) ?? hint ?? longestExhaustedReset(limits);
    if (wait !== undefined) reading.retryAfterMs = wait;
  }
  if (outcome === "OK") {
    const tokens = d.tokensUsed?.(json());
    if (tokens !== undefined) reading.tokensUsed = tokens;
  }
  if (quotaId !== undefined) reading.quotaId = quotaId;
  return Object.freeze(reading);
}

/** `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date; a value that is neither is ignored. */
function retryAfter(headers: Map<string, string>, receivedAt: number): number | undefined {
  const ms = millis(headers.get("retry-after-ms"));
  if (ms !== undefined) return ms;
  const text = headers.get("retry-after");
  const s = seconds(text);
  if (s !== undefined) return s;
  const date = httpDate(text);
  return date === undefined ? undefined : Math.max(0, date - receivedAt);
}

function longestExhaustedReset(limits: readonly ProviderLimit[]): number | undefined {
  let longest: number | undefined;
  for (const l of limits) {
    if (l.remaining === 0 && l.resetAfterMs !== undefined) longest = Math.max(longest ?? 0, l.resetAfterMs);
  }
  return longest;
}

function limit(kind: LimitKind, max: number | undefined, remaining: number | undefined, resetAfterMs: number | undefined): ProviderLimit | null {
  if (max === undefined && remaining === undefined && resetAfterMs === undefined) return null;
  const l: { -readonly [K in keyof ProviderLimit]: ProviderLimit[K] } = { kind };
  if (max !== undefined) l.limit = max;
  if (remaining !== undefined) l.remaining = remaining;
  if (resetAfterMs !== undefined) l.resetAfterMs = resetAfterMs;
  return Object.freeze(l);
}

function sum(...parts: unknown[]): number | undefined {
  const counts = parts.map(jsonCount);
  if (counts.every((c) => c === undefined)) return undefined;
  return counts.reduce<number>((a, c) => a + (c ?? 0), 0);
}

async function bodyOf(response: Response): Promise<string | undefined> {
  const type = response.headers.get("content-type") ?? "";
  if (response.bodyUsed || !/json/i.test(type)) return undefined;
  try {
    return await response.clone().text();
  } catch {
    return undefined;
  }
}

/**
 * OpenAI: `x-ratelimit-limit|remaining|reset-requests|tokens` (resets as Go durations: `6m0s`, `20ms`),
 * `retry-after-ms`/`retry-after`, tokens from `usage.total_tokens`; a 429 `insufficient_quota` is a
 * billing stop, not a rate: `AUTH_FAILED`.
 */
export const openai: ProviderAdapter = adapter({
  name: "openai",
  headerLimits(h) {
    const out: ProviderLimit[] = [];
    for (const [kind, suffix] of [["REQUESTS", "requests"], ["TOKENS", "tokens"]] as const) {
      const l = limit(kind, count(h.get(`x-ratelimit-limit-${suffix}`)), count(h.get(`x-ratelimit-remaining-${suffix}`)),
        goDuration(h.get(`x-ratelimit-reset-${suffix}`)));
      if (l !== null) out.push(l);
    }
    return out;
  },
  tokensUsed(json) {
    const usage = at(json, "usage");
    return jsonCount(at(usage, "total_tokens")) ?? sum(at(usage, "prompt_tokens"), at(usage, "completion_tokens"))
      ?? sum(at(usage, "input_tokens"), at(usage, "output_tokens"));
  },
  keyUnusable(status, json) {
    return status === 429 && (at(json, "error", "code") === "insufficient_quota" || at(json, "error", "type") === "insufficient_quota");
  },
});

/**
 * Anthropic: `anthropic-ratelimit-requests|tokens|input-tokens|output-tokens-limit|remaining|reset`
 * (resets as RFC 3339 times), `retry-after`; tokens: input + cache creation + output of `usage`
 * (cache reads do not count towards Anthropic's input limit). 529 (overloaded) is a transient error.
 */
export const anthropic: ProviderAdapter = adapter({
  name: "anthropic",
  headerLimits(h, receivedAt) {
    const out: ProviderLimit[] = [];
    for (const [kind, name] of [["REQUESTS", "requests"], ["TOKENS", "tokens"], ["INPUT_TOKENS", "input-tokens"],
      ["OUTPUT_TOKENS", "output-tokens"]] as const) {
      const reset = rfc3339(h.get(`anthropic-ratelimit-${name}-reset`));
      const l = limit(kind, count(h.get(`anthropic-ratelimit-${name}-limit`)), count(h.get(`anthropic-ratelimit-${name}-remaining`)),
        reset === undefined ? undefined : Math.max(0, Math.round(reset - receivedAt)));
      if (l !== null) out.push(l);
    }
    return out;
  },
  tokensUsed(json) {
    const usage = at(json, "usage");
    return sum(at(usage, "input_tokens"), at(usage, "cache_creation_input_tokens"), at(usage, "output_tokens"));
  },
});

/**
 * Google Gemini: no rate-limit headers; a 429 `RESOURCE_EXHAUSTED` names the refused quota in
 * `google.rpc.QuotaFailure` and the wait in `google.rpc.RetryInfo` `retryDelay`; a 400 with
 * `ErrorInfo` reason `API_KEY_INVALID` is an auth failure; tokens from `usageMetadata.totalTokenCount`.
 */
export const gemini: ProviderAdapter = adapter({
  name: "gemini",
  tokensUsed(json) {
    const usage = at(json, "usageMetadata");
    return jsonCount(at(usage, "totalTokenCount"))
      ?? sum(at(usage, "promptTokenCount"), at(usage, "candidatesTokenCount"), at(usage, "thoughtsTokenCount"));
  },
  keyUnusable(status, json) {
    return status === 400 && googleDetails(json).some((d) => typeEndsWith(d, "google.rpc.ErrorInfo") && at(d, "reason") === "API_KEY_INVALID");
  },
  refusal(json) {
    const details = googleDetails(json);
    const retryInfo = details.find((d) => typeEndsWith(d, "google.rpc.RetryInfo"));
    const retryAfterMs = protoDuration(at(retryInfo, "retryDelay"));
    const violations = details.filter((d) => typeEndsWith(d, "google.rpc.QuotaFailure"))
      .flatMap((d) => { const v = at(d, "violations"); return Array.isArray(v) ? v : []; });
    const limits: ProviderLimit[] = [];
    let quotaId: string | undefined;
    for (const v of violations) {
      const id = at(v, "quotaId");
      if (quotaId === undefined && typeof id === "string") quotaId = id;
      const kind = googleKind(`${String(at(v, "quotaMetric") ?? "")} ${String(id ?? "")}`);
      if (kind === undefined || limits.some((l) => l.kind === kind)) continue;
      limits.push(limit(kind, jsonCount(at(v, "quotaValue")), 0, retryAfterMs)!);
    }
    return { retryAfterMs, quotaId, limits };
  },
});

/** Any HTTP service: statuses, `retry-after-ms` and `Retry-After` (seconds or an HTTP date) only. */
export const generic: ProviderAdapter = adapter({ name: "generic" });

/** The `details` of a Google error body (`{error:{details:[…]}}`, or that inside a one-element array). */
function googleDetails(json: unknown): unknown[] {
  const body = Array.isArray(json) ? json[0] : json;
  const details = at(body, "error", "details");
  return Array.isArray(details) ? details : [];
}

function typeEndsWith(detail: unknown, type: string): boolean {
  const t = at(detail, "@type");
  return typeof t === "string" && t.endsWith(type);
}

/** The kind of limit a Google quota metric or id names (`…input_token_count`, `GenerateRequestsPerMinute…`). */
function googleKind(names: string): LimitKind | undefined {
  const n = names.toLowerCase().replace(/[_\s-]/g, "");
  if (n.includes("inputtoken")) return "INPUT_TOKENS";
  if (n.includes("outputtoken")) return "OUTPUT_TOKENS";
  if (n.includes("token")) return "TOKENS";
  if (n.includes("request")) return "REQUESTS";
  return undefined;
}

/** The adapters by name, for configuration (`providers: { "gemini-pro": "gemini" }`). */
export const PROVIDERS: Readonly<Record<string, ProviderAdapter>> = Object.freeze({ openai, anthropic, gemini, generic });

