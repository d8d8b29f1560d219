package io.quotahub.hub.service;

import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.SettleResult;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.ProviderCallMetrics;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The settle path: validate → check that the settler holds the lease → append the Settle to the
 * ledger → apply it to the engine. Settling twice is answered as a success that changed nothing.
 *
 * <p>Only the lease's holder may settle it: the settle must present the secret its grant carried,
 * whose SHA-256 the lease keeps ({@link LeaseRecord#holderDigest()}); a missing or wrong secret is
 * FORBIDDEN and changes nothing. A lease granted before lease secrets existed (empty digest) may
 * be settled only by a settle naming the lease's own agent id. A lease granted to a NATS user or a
 * token ({@link Principals}) may be settled only by that same principal, secret or not: another
 * principal gets FORBIDDEN and changes nothing. A settle reporting more tokens
 * than the pool's {@link PoolSpec#maxTokensPerCall()} is refused (BAD_REQUEST) and changes
 * nothing: no honest call uses that many, so it is a bug or an attack, and counting it at the
 * bound would still let it fill a window; the lease stays open and expires at its estimate if it
 * is never settled correctly.
 */
public final class SettleService {

    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final Clock clock;
    private final String hubId;
    private final ReplyDeadline replyDeadline;
    private final InputBounds bounds;
    private final GuardMetrics metrics;
    private final Duration maxCooldown;
    private final Map<String, Long> maxTokensPerCall = new HashMap<>();
    private final ProviderCallMetrics calls;

    /** With default bounds, the pools of the engine's configuration and metrics nobody sees (simulations). */
    public SettleService(QuotaEngine engine, HubLedger ledger, Clock clock, String hubId, Duration replyTimeout) {
        this(engine, ledger, clock, hubId, replyTimeout, InputBounds.ofDefaults(), GuardMetrics.unregistered(hubId));
    }

    public SettleService(QuotaEngine engine, HubLedger ledger, Clock clock, String hubId, Duration replyTimeout,
                         InputBounds bounds, GuardMetrics metrics) {
        this(engine, ledger, clock, hubId, replyTimeout, bounds, metrics, ProviderCallMetrics.none());
    }

    /** @param calls where the provider call durations that agents report with their settles go */
    public SettleService(QuotaEngine engine, HubLedger ledger, Clock clock, String hubId, Duration replyTimeout,
                         InputBounds bounds, GuardMetrics metrics, ProviderCallMetrics calls) {
        this.calls = calls;
        this.replyDeadline = new ReplyDeadline(replyTimeout);
        this.engine = engine;
        this.ledger = ledger;
        this.clock = clock;
        this.hubId = hubId;
        this.bounds = bounds;
        this.metrics = metrics;
        this.maxCooldown = engine.config().cooldown().maxCooldown();
        for (PoolSpec pool : engine.config().pools()) {
            maxTokensPerCall.put(pool.name(), pool.maxTokensPerCall());
        }
    }

    public CompletableFuture<SettleOutcome> settle(SettleCommand cmd) {
        return settle(cmd, 0);
    }

    /**
     * @param callDurationMs how long the provider call took, as the agent measured it (0: not
     *                       measured); only a metric, recorded once the settle is applied
     */
    public CompletableFuture<SettleOutcome> settle(SettleCommand cmd, long callDurationMs) {
        SettleOutcome.Failed invalid = validate(cmd);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Ledger target = ledger.current();
        if (target == null) {
            return failed(ErrorCode.UNAVAILABLE, "hub is starting: its ledger is not replayed yet");
        }
        Duration retryAfter = cmd.retryAfter() == null ? Duration.ZERO : cmd.retryAfter();
        Settlement settlement = new Settlement(cmd.leaseId(), cmd.tokensUsed(), cmd.outcome(), retryAfter, clock.instant());
        Optional<LeaseRecord> open = engine.openLease(cmd.leaseId());
        if (open.isEmpty()) {
            // Not open: settling changes nothing, it only tells us whether the lease ever existed.
            SettleResult known = engine.settle(settlement);
            return known == SettleResult.UNKNOWN_LEASE
                    ? failed(ErrorCode.UNKNOWN_LEASE, "unknown lease '" + cmd.leaseId() + "'")
                    : CompletableFuture.completedFuture(new SettleOutcome.Settled(false));
        }
        LeaseRecord lease = open.get();
        if (!holds(lease, cmd)) {
            return failed(ErrorCode.FORBIDDEN, "lease secret missing or wrong for lease " + lease.leaseId());
        }
        if (!sameIdentity(lease, cmd)) {
            return failed(ErrorCode.FORBIDDEN, "lease " + lease.leaseId() + " was granted to another principal");
        }
        long bound = maxTokensPerCall.getOrDefault(lease.pool(), LimitSpec.MAX_CAPACITY);
        if (cmd.tokensUsed() > bound) {
            return CompletableFuture.completedFuture(new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "tokensUsed "
                    + cmd.tokensUsed() + " exceeds the bound " + bound + " of pool " + lease.pool() + " (max-tokens-per-call)",
                    RejectReason.TOKENS_ABOVE_BOUND));
        }
        if (cmd.outcome() == Outcome.RATE_LIMITED && retryAfter.compareTo(maxCooldown) > 0) {
            metrics.retryAfterClamped(); // the engine cools the key for maxCooldown; the ledger keeps the provider's word
        }
        return replyDeadline.within(target.append(LedgerEvents.settle(hubId, settlement)).handle((ok, error) -> {
            if (error != null) {
                return (SettleOutcome) new SettleOutcome.Failed(ErrorCode.UNAVAILABLE, "settle could not be made durable; retry");
            }
            boolean settled = engine.settle(settlement) == SettleResult.SETTLED;
            if (settled) {
                calls.callDuration(lease.pool(), lease.keyId(), callDurationMs);
            }
            return new SettleOutcome.Settled(settled);
        }), new SettleOutcome.Failed(ErrorCode.UNAVAILABLE, "the ledger did not confirm the settle in time; retry"));
    }

    /** Whether the settle comes from the lease's holder: its secret, or for a lease without one, its agent id. */
    static boolean holds(LeaseRecord lease, SettleCommand cmd) {
        if (lease.holderDigest().isEmpty()) {
            return lease.agentId() != null && lease.agentId().equals(cmd.agentId());
        }
        return LeaseSecret.matches(cmd.leaseSecret(), lease.holderDigest());
    }

    /**
     * Whether the settler is the principal the lease was granted to, when that principal was
     * authenticated by NATS user or token ({@link Principals#binds}); any settler of a lease granted
     * unauthenticated (or in protected mode) passes. A settle without authentication does not
     * match a bound lease: otherwise anyone holding a stolen secret could settle it through a reply
     * subject outside every agent inbox.
     */
    static boolean sameIdentity(LeaseRecord lease, SettleCommand cmd) {
        return !Principals.binds(lease.principal()) || lease.principal().equals(cmd.principal());
    }

    private SettleOutcome.Failed validate(SettleCommand cmd) {
        SettleOutcome.Failed tooLong = tooLong("leaseId", cmd.leaseId());
        tooLong = tooLong != null ? tooLong : tooLong("requestId", cmd.requestId());
        tooLong = tooLong != null ? tooLong : tooLong("agentId", cmd.agentId());
        tooLong = tooLong != null ? tooLong : tooLong("leaseSecret", cmd.leaseSecret());
        tooLong = tooLong != null ? tooLong : tooLong("detail", cmd.detail());
        if (tooLong != null) {
            return tooLong;
        }
        if (cmd.leaseId() == null || cmd.leaseId().isBlank()) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "leaseId is missing");
        }
        if (cmd.outcome() == null) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "outcome must be one of OK, RATE_LIMITED, ERROR, AUTH_FAILED");
        }
        if (cmd.tokensUsed() < 0) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "tokensUsed must be >= 0, was " + cmd.tokensUsed());
        }
        if (cmd.retryAfter() != null && cmd.retryAfter().isNegative()) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "retryAfterMs must be >= 0");
        }
        if (cmd.deadline() != null && !cmd.deadline().isAfter(clock.instant())) {
            return new SettleOutcome.Failed(ErrorCode.DEADLINE_EXCEEDED, "request deadline " + cmd.deadline() + " has passed");
        }
        return null;
    }

    private SettleOutcome.Failed tooLong(String field, String value) {
        String problem = bounds.fieldProblem(field, value);
        return problem == null ? null : new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, problem, RejectReason.FIELD_TOO_LONG);
    }

    private static CompletableFuture<SettleOutcome> failed(ErrorCode code, String message) {
        return CompletableFuture.completedFuture(new SettleOutcome.Failed(code, message));
    }
}
