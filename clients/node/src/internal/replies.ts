import { ErrorReply_Code, Refused_Code, type AcquireReply, type ErrorReply, type Refused } from "../gen/quotahub_pb.js";
import { QuotaExhaustedError, QuotaHubError } from "../errors.js";

/**
 * How the SDK reads a hub's words (as the Java SDK's HubReplies): a reply without a code, or with a
 * code newer than this SDK, reads as the safe meaning of its kind: a refusal as QUOTA_EXHAUSTED
 * (wait and ask again), an error as INTERNAL (give up).
 */
export function refusalCode(refused: Refused): Refused_Code {
  const c = refused.refusalCode;
  return c === Refused_Code.CODE_UNSPECIFIED || Refused_Code[c] === undefined ? Refused_Code.QUOTA_EXHAUSTED : c;
}

export function errorCode(error: ErrorReply): ErrorReply_Code {
  const c = error.errorCode;
  return c === ErrorReply_Code.CODE_UNSPECIFIED || ErrorReply_Code[c] === undefined ? ErrorReply_Code.INTERNAL : c;
}

export function refusalName(code: Refused_Code): string {
  return Refused_Code[code];
}

export function errorName(code: ErrorReply_Code): string {
  return ErrorReply_Code[code];
}

/** Whether the hub shed the request (OVERLOADED): the client's signal to keep fewer outstanding. */
export function overloaded(reply: AcquireReply): boolean {
  return reply.result.case === "refused" && refusalCode(reply.result.value) === Refused_Code.OVERLOADED;
}

/** The error of an acquire whose wait ended on `refused`; `pool` when the hub named none. */
export function exhausted(refused: Refused, pool: string): QuotaExhaustedError {
  return new QuotaExhaustedError({
    code: refusalName(refusalCode(refused)),
    reason: refused.reason,
    retryAfterMs: Math.max(0, Number(refused.retryAfterMs)),
    pool: refused.pool === "" ? pool : refused.pool,
    keyId: refused.keyId,
    limit: refused.limit,
    tried: refused.tried.map((t) => ({
      code: refusalName(t.refusalCode === Refused_Code.CODE_UNSPECIFIED || Refused_Code[t.refusalCode] === undefined
        ? Refused_Code.QUOTA_EXHAUSTED : t.refusalCode),
      reason: t.reason,
      retryAfterMs: Math.max(0, Number(t.retryAfterMs)),
      pool: t.pool,
      keyId: t.keyId,
      limit: t.limit,
    })),
  });
}

/** The error of a request the hub rejected with `code`. */
export function rejected(code: ErrorReply_Code, message: string): QuotaHubError {
  return new QuotaHubError(errorName(code), message);
}
