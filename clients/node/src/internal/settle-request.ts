import { create } from "@bufbuild/protobuf";
import {
  LimitKind, ProviderLimitSchema, ProviderReportSchema, SettleRequestSchema, type Outcome, type ProviderReport, type SettleRequest,
} from "../gen/quotahub_pb.js";
import type { ProviderReading } from "../provider.js";
import type { SettleExtras } from "../lease.js";

const KINDS: Record<string, LimitKind> = {
  REQUESTS: LimitKind.REQUESTS,
  TOKENS: LimitKind.TOKENS,
  INPUT_TOKENS: LimitKind.INPUT_TOKENS,
  OUTPUT_TOKENS: LimitKind.OUTPUT_TOKENS,
};

export interface SettleFields {
  requestId: string;
  leaseId: string;
  leaseSecret: string;
  agentId: string;
  outcome: Outcome;
  tokensUsed: number;
  retryAfterMs: number;
  detail: string;
}

/** The wire settle: the outcome, and with it what the provider said and how long the call took. */
export function settleRequest(f: SettleFields, extras?: SettleExtras): SettleRequest {
  const duration = extras?.callDurationMs;
  return create(SettleRequestSchema, {
    requestId: f.requestId,
    leaseId: f.leaseId,
    agentId: f.agentId,
    tokensUsed: BigInt(f.tokensUsed),
    outcome: f.outcome,
    retryAfterMs: BigInt(f.retryAfterMs),
    detail: f.detail,
    leaseSecret: f.leaseSecret,
    provider: extras?.reading === undefined ? undefined : providerReport(extras.reading),
    callDurationMs: duration === undefined ? 0n : BigInt(Math.max(0, Math.round(duration))),
  });
}

/** The proto report of a reading; undefined when the provider described no limit and named no quota. */
export function providerReport(r: ProviderReading): ProviderReport | undefined {
  const limits = r.limits.filter((l) => KINDS[l.kind] !== undefined).map((l) => create(ProviderLimitSchema, {
    kind: KINDS[l.kind],
    limit: wireCount(l.limit),
    remaining: wireCount(l.remaining),
    resetAfterMs: wireCount(l.resetAfterMs),
  }));
  const quotaId = r.quotaId ?? "";
  if (limits.length === 0 && quotaId === "") return undefined;
  return create(ProviderReportSchema, { limits, quotaId });
}

/** A count for an optional int64 field: absent stays absent, a bad value is left out rather than sent. */
function wireCount(n: number | undefined): bigint | undefined {
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? BigInt(n) : undefined;
}
