package io.quotahub.hub.service;

import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.engine.ExternalUse;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitObservation;
import io.quotahub.engine.ProviderFeedback;
import io.quotahub.engine.ReportedLimit;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * is never settled correctly. A provider report is bounded like the other fields (at most
 * {@value ProviderReport#MAX_LIMITS} limits of known kinds, values in {@code [0, 10^12]}, its quota id
 * within the field bound); a bad one refuses the whole settle (BAD_REQUEST) and changes nothing.
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
    private final AtomicLong unmatchedReports = new AtomicLong();
    private final AtomicLong externalUnits = new AtomicLong();
    private static final Logger LOG = LoggerFactory.getLogger(SettleService.class);
    private static final List<String> KINDS = Arrays.stream(ReportedLimit.Kind.values()).map(Enum::name).toList();
    /** The longest call a settle may report (a lease lives far shorter): one day. */
    static final long MAX_CALL_DURATION_MS = 86_400_000L;

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

    /**
     * Settles a lease. The command's call duration (as the agent measured it; 0: not measured) is
     * only a metric, recorded once the settle is applied.
     */
    public CompletableFuture<SettleOutcome> settle(SettleCommand cmd) {
        SettleOutcome.Failed invalid = validate(cmd);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Ledger target = ledger.current();
        if (target == null) {
            return failed(ErrorCode.UNAVAILABLE, "hub is starting: its ledger is not replayed yet");
        }
        Duration retryAfter = cmd.retryAfter() == null ? Duration.ZERO : cmd.retryAfter();
        Settlement settlement = new Settlement(cmd.leaseId(), cmd.tokensUsed(), cmd.outcome(), retryAfter, clock.instant(),
                cmd.callsUsed());
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
        // per call; a block's tokens are all its calls' (at most 10^12 x 10^4: no overflow)
        long bound = maxTokensPerCall.getOrDefault(lease.pool(), LimitSpec.MAX_CAPACITY) * lease.calls();
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
            boolean firstTime = engine.settle(settlement) == SettleResult.SETTLED;
            if (firstTime) {
                calls.callDuration(lease.pool(), lease.keyId(), cmd.callDurationMs());
                if (cmd.provider() != null && !cmd.provider().limits().isEmpty()) {
                    heed(lease, cmd.provider(), target);
                }
            }
            return new SettleOutcome.Settled(firstTime);
        }), new SettleOutcome.Failed(ErrorCode.UNAVAILABLE, "the ledger did not confirm the settle in time; retry"));
    }

    /**
     * The provider's word on the lease's key, once its settle is durable and folded: the engine
     * books external use and records observed limits at once (docs/architecture.md, "External
     * use"), and the events go to the ledger for the peer and for replays. The settle's answer
     * does not wait for them: a report only ever makes the hubs count more, and a lost one is
     * made up by the next report.
     */
    private void heed(LeaseRecord lease, ProviderReport report, Ledger target) {
        List<ReportedLimit> limits = new ArrayList<>(report.limits().size());
        for (ProviderReport.Limit l : report.limits()) {
            limits.add(new ReportedLimit(ReportedLimit.Kind.valueOf(l.kind()), l.limit(), l.remaining(), l.resetAfterMs()));
        }
        ProviderFeedback feedback = engine.observeProvider(lease.pool(), lease.keyId(), limits);
        unmatchedReports.addAndGet(feedback.unmatched());
        for (ExternalUse e : feedback.booked()) {
            externalUnits.addAndGet(e.units());
            appendQuietly(target, LedgerEvents.externalUse(hubId, e));
        }
        for (LimitObservation o : feedback.observed()) {
            appendQuietly(target, LedgerEvents.limitObserved(o));
        }
    }

    private static void appendQuietly(Ledger target, io.quotahub.proto.LedgerEvent event) {
        target.append(event).whenComplete((ok, error) -> {
            if (error != null) {
                LOG.warn("could not append {} to the ledger: the peer and a replay will not count it (the next report books it again)",
                        event.getEventCase());
            }
        });
    }

    /** Reported limits that matched none of their key's configured limits (changed nothing), since start. */
    public long unmatchedReports() {
        return unmatchedReports.get();
    }

    /** Units of external use this hub booked from reports, since start. */
    public long externalUnitsBooked() {
        return externalUnits.get();
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
        if (cmd.outcome() == null || cmd.outcome() == Outcome.EXPIRED) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "outcome must be one of OK, RATE_LIMITED, ERROR, AUTH_FAILED, UNKNOWN");
        }
        if (cmd.tokensUsed() < 0) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "tokensUsed must be >= 0, was " + cmd.tokensUsed());
        }
        if (cmd.callsUsed() < Settlement.CALLS_NOT_REPORTED) { // -1: not reported, a block counts all its calls
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "callsUsed must be >= 0, was " + cmd.callsUsed());
        }
        if (cmd.retryAfter() != null && cmd.retryAfter().isNegative()) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "retryAfterMs must be >= 0");
        }
        if (cmd.callDurationMs() < 0 || cmd.callDurationMs() > MAX_CALL_DURATION_MS) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "callDurationMs must be between 0 and "
                    + MAX_CALL_DURATION_MS + ", was " + cmd.callDurationMs());
        }
        if (cmd.provider() != null) {
            SettleOutcome.Failed bad = reportProblem(cmd.provider());
            if (bad != null) {
                return bad;
            }
        }
        if (cmd.deadline() != null && !cmd.deadline().isAfter(clock.instant())) {
            return new SettleOutcome.Failed(ErrorCode.DEADLINE_EXCEEDED, "request deadline " + cmd.deadline() + " has passed");
        }
        return null;
    }

    /** A provider report is bounded like every other field: few limits, known kinds, values in [0, 10^12]. */
    private SettleOutcome.Failed reportProblem(ProviderReport report) {
        SettleOutcome.Failed tooLong = tooLong("provider.quotaId", report.quotaId());
        if (tooLong != null) {
            return tooLong;
        }
        if (report.limits().size() > ProviderReport.MAX_LIMITS) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "provider.limits holds at most " + ProviderReport.MAX_LIMITS
                    + " limits", RejectReason.INVALID);
        }
        for (ProviderReport.Limit l : report.limits()) {
            if (!KINDS.contains(l.kind())) {
                String shown = bounds.fieldProblem("kind", l.kind()) == null ? l.kind() : "(too long)";
                return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "provider.limits[].kind must be one of " + KINDS
                        + ", was '" + shown + "'", RejectReason.INVALID);
            }
            String bad = outOfBounds("limit", l.limit());
            bad = bad != null ? bad : outOfBounds("remaining", l.remaining());
            bad = bad != null ? bad : outOfBounds("resetAfterMs", l.resetAfterMs());
            if (bad != null) {
                return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, bad, RejectReason.INVALID);
            }
        }
        return null;
    }

    private static String outOfBounds(String field, Long value) {
        return value == null || (value >= 0 && value <= LimitSpec.MAX_CAPACITY) ? null
                : "provider.limits[]." + field + " must be between 0 and " + LimitSpec.MAX_CAPACITY + ", was " + value;
    }

    private SettleOutcome.Failed tooLong(String field, String value) {
        String problem = bounds.fieldProblem(field, value);
        return problem == null ? null : new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, problem, RejectReason.FIELD_TOO_LONG);
    }

    private static CompletableFuture<SettleOutcome> failed(ErrorCode code, String message) {
        return CompletableFuture.completedFuture(new SettleOutcome.Failed(code, message));
    }
}
