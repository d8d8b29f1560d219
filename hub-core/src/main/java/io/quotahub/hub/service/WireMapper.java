package io.quotahub.hub.service;

import io.quotahub.engine.RefusalCode;
import io.quotahub.proto.PoolRefusal;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Granted;
import io.quotahub.proto.Refused;
import io.quotahub.proto.ProviderLimit;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The one translation between the NATS wire and the hub: a proto {@link AcquireRequest} or
 * {@link SettleRequest} becomes an {@link AcquireCommand} or {@link SettleCommand}, and an
 * {@link AcquireOutcome} or {@link SettleOutcome} becomes the proto reply. The engine's
 * {@link RefusalCode} and the hub's {@link ErrorCode} travel as the proto enums
 * {@link Refused.Code} and {@link ErrorReply.Code}, value for value by name; {@code OVERLOADED},
 * a refusal the hub makes before the engine sees the request, has a wire value but no engine code.
 * The enums {@code Priority} and {@code Outcome} are shared with the ledger's events and mapped by
 * {@link LedgerEvents}.
 *
 * <p>It checks nothing: what a client sent is validated once, by {@link AcquireService} and
 * {@link SettleService}, whatever the transport. The only care it takes is never to echo a client's
 * field above the {@link InputBounds} back to it.
 */
public final class WireMapper {

    private final String hubId;
    private final InputBounds bounds;

    public WireMapper(String hubId, InputBounds bounds) {
        this.hubId = hubId;
        this.bounds = bounds;
    }

    // ---- requests

    /** @param principal who asks, as the transport authenticated it ({@link Principals#ofReply}) */
    public AcquireCommand command(AcquireRequest request, String principal) {
        Instant deadline = request.getDeadlineEpochMs() > 0 ? Instant.ofEpochMilli(request.getDeadlineEpochMs()) : null;
        Instant waitUntil = request.getWaitUntilEpochMs() > 0 ? Instant.ofEpochMilli(request.getWaitUntilEpochMs()) : null;
        return new AcquireCommand(request.getRequestId(), request.getAgentId(), request.getPool(), request.getTokens(),
                LedgerEvents.fromProto(request.getPriority()), deadline, principal, !request.getNoFallback(), waitUntil,
                request.getBlockCalls());
    }

    /** @param principal who settles, as the transport authenticated it ({@link Principals#ofReply}) */
    public SettleCommand command(SettleRequest request, String principal) {
        Instant deadline = request.getDeadlineEpochMs() > 0 ? Instant.ofEpochMilli(request.getDeadlineEpochMs()) : null;
        return new SettleCommand(request.getRequestId(), request.getLeaseId(), request.getAgentId(),
                request.getTokensUsed(), LedgerEvents.fromProto(request.getOutcome()),
                Duration.ofMillis(request.getRetryAfterMs()), request.getDetail(), deadline, request.getLeaseSecret(),
                principal, request.hasProvider() ? provider(request.getProvider()) : null, request.getCallDurationMs(),
                request.getCallsUsed());
    }

    /** The report as sent; its kinds by name (an unknown or unspecified kind is refused by {@link SettleService}). */
    static ProviderReport provider(io.quotahub.proto.ProviderReport report) {
        List<ProviderReport.Limit> limits = new ArrayList<>(Math.min(report.getLimitsCount(), ProviderReport.MAX_LIMITS + 1));
        for (ProviderLimit l : report.getLimitsList()) {
            if (limits.size() > ProviderReport.MAX_LIMITS) {
                break; // refused as too many anyway: never copy an unbounded list
            }
            limits.add(new ProviderReport.Limit(l.getKind().name(), l.hasLimit() ? l.getLimit() : null,
                    l.hasRemaining() ? l.getRemaining() : null, l.hasResetAfterMs() ? l.getResetAfterMs() : null));
        }
        return new ProviderReport(report.getQuotaId(), limits);
    }

    // ---- replies

    /** The reply to {@code request}, whose answer is {@code outcome}. */
    public AcquireReply reply(AcquireRequest request, AcquireOutcome outcome) {
        String requestId = echo("requestId", request.getRequestId());
        if (outcome instanceof AcquireOutcome.Leased l && l.leaseSecret() == null) {
            // never sent: a lease without its secret is of no use (AcquireService decides such a retry anew)
            return acquireError(requestId, ErrorCode.UNAVAILABLE,
                    "the lease's secret is not held here; ask again with a new request id");
        }
        AcquireReply.Builder reply = AcquireReply.newBuilder().setRequestId(requestId).setHubId(hubId);
        if (outcome instanceof AcquireOutcome.Leased l) {
            var lease = l.lease();
            reply.setGranted(Granted.newBuilder()
                    .setLeaseId(lease.leaseId())
                    .setPool(lease.pool())
                    .setKeyId(lease.keyId())
                    .setApiKey(l.secret().reveal())
                    .setTokens(lease.tokens())
                    .setExpiresAtEpochMs(lease.expiresAt().toEpochMilli())
                    .setLeaseSecret(l.leaseSecret().reveal())
                    .setRequestedPool(l.passedOver().isEmpty() ? "" : l.requestedPool())
                    .addAllPassedOver(l.passedOver().stream().map(WireMapper::poolRefusal).toList())
                    .setBlockCalls(lease.blockCalls())
                    .setBlockExpiresInMs(lease.isBlock()
                            ? Math.max(0, lease.expiresAt().toEpochMilli() - lease.grantedAt().toEpochMilli()) : 0));
            if (l.shadow() != null) {
                reply.getGrantedBuilder().setShadowRefusal(poolRefusal(l.shadow()));
            }
            reply.setNotice(l.notice());
        } else if (outcome instanceof AcquireOutcome.Refused r) {
            var refusal = r.refusal();
            Refused.Builder refused = Refused.newBuilder()
                    .setRefusalCode(toWire(refusal.code()))
                    .setReason(refusal.message())
                    .setRetryAfterMs(refusal.retryAfter().toMillis())
                    .setPool(refusal.pool() == null ? "" : refusal.pool());
            if (refusal.keyId() != null) {
                refused.setKeyId(refusal.keyId());
            }
            if (refusal.limit() != null) {
                refused.setLimit(refusal.limit());
            }
            r.tried().forEach(t -> refused.addTried(poolRefusal(t)));
            reply.setRefused(refused);
            reply.setNotice(r.notice());
        } else if (outcome instanceof AcquireOutcome.Overloaded o) {
            return overloaded(request, o.reason(), o.retryAfter().toMillis());
        } else {
            AcquireOutcome.Failed f = (AcquireOutcome.Failed) outcome;
            reply.setError(error(f.code(), f.message()));
        }
        return reply.build();
    }

    /** One pool's refusal within a reply (fallback pools tried, a shadow refusal). */
    static PoolRefusal poolRefusal(io.quotahub.engine.Refusal r) {
        return PoolRefusal.newBuilder()
                .setPool(r.pool() == null ? "" : r.pool())
                .setRefusalCode(toWire(r.code()))
                .setReason(r.message())
                .setRetryAfterMs(r.retryAfter().toMillis())
                .setKeyId(r.keyId() == null ? "" : r.keyId())
                .setLimit(r.limit() == null ? "" : r.limit())
                .build();
    }

    /** The refusal of an acquire the hub sheds before deciding it ({@code OVERLOADED}). */
    public AcquireReply overloaded(AcquireRequest request, String reason, long retryAfterMs) {
        return AcquireReply.newBuilder().setRequestId(echo("requestId", request.getRequestId())).setHubId(hubId)
                .setRefused(Refused.newBuilder()
                        .setRefusalCode(Refused.Code.OVERLOADED)
                        .setPool(echo("pool", request.getPool()))
                        .setReason(reason)
                        .setRetryAfterMs(retryAfterMs))
                .build();
    }

    /** An acquire answered with an error; {@code requestId} as the client may see it back ({@link #echo}). */
    public AcquireReply acquireError(String requestId, ErrorCode code, String message) {
        return AcquireReply.newBuilder().setRequestId(requestId).setHubId(hubId).setError(error(code, message)).build();
    }

    /** The reply to {@code request}, whose answer is {@code outcome}. */
    public SettleReply reply(SettleRequest request, SettleOutcome outcome) {
        String requestId = echo("requestId", request.getRequestId());
        if (outcome instanceof SettleOutcome.Settled s) {
            return SettleReply.newBuilder().setRequestId(requestId).setHubId(hubId).setSettled(s.firstTime()).build();
        }
        SettleOutcome.Failed f = (SettleOutcome.Failed) outcome;
        return settleError(requestId, f.code(), f.message());
    }

    /** A settle answered with an error; {@code requestId} as the client may see it back ({@link #echo}). */
    public SettleReply settleError(String requestId, ErrorCode code, String message) {
        return SettleReply.newBuilder().setRequestId(requestId).setHubId(hubId).setError(error(code, message)).build();
    }

    private static ErrorReply error(ErrorCode code, String message) {
        return ErrorReply.newBuilder().setErrorCode(toWire(code)).setMessage(message).build();
    }

    /** A client's field as it may be sent back to it: "" when it is above the bound. */
    public String echo(String field, String value) {
        return bounds.fieldProblem(field, value) == null ? value : "";
    }

    // ---- codes

    /** The wire value of an engine refusal code (each has one). */
    public static Refused.Code toWire(RefusalCode code) {
        return switch (code) {
            case QUOTA_EXHAUSTED -> Refused.Code.QUOTA_EXHAUSTED;
            case BUDGET_EXHAUSTED -> Refused.Code.BUDGET_EXHAUSTED;
            case CONCURRENCY -> Refused.Code.CONCURRENCY;
            case BURST -> Refused.Code.BURST;
            case THROTTLED -> Refused.Code.THROTTLED;
            case SHED -> Refused.Code.SHED;
            case COOLDOWN -> Refused.Code.COOLDOWN;
            case CIRCUIT_OPEN -> Refused.Code.CIRCUIT_OPEN;
            case KEY_DISABLED -> Refused.Code.KEY_DISABLED;
            case AGENT_LIMIT -> Refused.Code.AGENT_LIMIT;
            case NO_USABLE_KEY -> Refused.Code.NO_USABLE_KEY;
            case UNKNOWN_POOL -> Refused.Code.UNKNOWN_POOL;
            case INVALID_REQUEST -> Refused.Code.INVALID_REQUEST;
        };
    }

    /**
     * The engine refusal code of a wire value; null for the values that are none: OVERLOADED (the
     * hub's own), CODE_UNSPECIFIED (no code) and UNRECOGNIZED (a value newer than this build).
     */
    public static RefusalCode fromWire(Refused.Code code) {
        return switch (code) {
            case QUOTA_EXHAUSTED -> RefusalCode.QUOTA_EXHAUSTED;
            case BUDGET_EXHAUSTED -> RefusalCode.BUDGET_EXHAUSTED;
            case CONCURRENCY -> RefusalCode.CONCURRENCY;
            case BURST -> RefusalCode.BURST;
            case THROTTLED -> RefusalCode.THROTTLED;
            case SHED -> RefusalCode.SHED;
            case COOLDOWN -> RefusalCode.COOLDOWN;
            case CIRCUIT_OPEN -> RefusalCode.CIRCUIT_OPEN;
            case KEY_DISABLED -> RefusalCode.KEY_DISABLED;
            case AGENT_LIMIT -> RefusalCode.AGENT_LIMIT;
            case NO_USABLE_KEY -> RefusalCode.NO_USABLE_KEY;
            case UNKNOWN_POOL -> RefusalCode.UNKNOWN_POOL;
            case INVALID_REQUEST -> RefusalCode.INVALID_REQUEST;
            case OVERLOADED, CODE_UNSPECIFIED, UNRECOGNIZED -> null;
        };
    }

    /** The wire value of a hub error code (each has one). */
    public static ErrorReply.Code toWire(ErrorCode code) {
        return switch (code) {
            case BAD_REQUEST -> ErrorReply.Code.BAD_REQUEST;
            case FORBIDDEN -> ErrorReply.Code.FORBIDDEN;
            case UNKNOWN_POOL -> ErrorReply.Code.UNKNOWN_POOL;
            case NO_USABLE_KEY -> ErrorReply.Code.NO_USABLE_KEY;
            case DEADLINE_EXCEEDED -> ErrorReply.Code.DEADLINE_EXCEEDED;
            case UNKNOWN_LEASE -> ErrorReply.Code.UNKNOWN_LEASE;
            case UNAVAILABLE -> ErrorReply.Code.UNAVAILABLE;
            case FENCED -> ErrorReply.Code.FENCED;
            case INTERNAL -> ErrorReply.Code.INTERNAL;
        };
    }

    /** The hub error code of a wire value; null for CODE_UNSPECIFIED and UNRECOGNIZED. */
    public static ErrorCode fromWire(ErrorReply.Code code) {
        return switch (code) {
            case BAD_REQUEST -> ErrorCode.BAD_REQUEST;
            case FORBIDDEN -> ErrorCode.FORBIDDEN;
            case UNKNOWN_POOL -> ErrorCode.UNKNOWN_POOL;
            case NO_USABLE_KEY -> ErrorCode.NO_USABLE_KEY;
            case DEADLINE_EXCEEDED -> ErrorCode.DEADLINE_EXCEEDED;
            case UNKNOWN_LEASE -> ErrorCode.UNKNOWN_LEASE;
            case UNAVAILABLE -> ErrorCode.UNAVAILABLE;
            case FENCED -> ErrorCode.FENCED;
            case INTERNAL -> ErrorCode.INTERNAL;
            case CODE_UNSPECIFIED, UNRECOGNIZED -> null;
        };
    }
}
