package io.quotahub.hub.service;

import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.RefusalCode;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.LivePools;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.ledger.LedgerFencedException;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.replication.DemandCounter;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The acquire path, whatever the transport: validate → engine decision → durable ledger append →
 * answer. A grant is answered only after the ledger acknowledged it; if the append fails the
 * engine forgets the grant and the agent gets an error, never a lease.
 *
 * <p>Each grant gets a fresh {@link LeaseSecret}: the engine and the ledger keep its digest, the
 * reply carries the secret, and only a settle (or heartbeat) presenting it acts on the lease. A
 * retried request id is answered with the original grant and the same secret while this hub
 * holds it. A grant rebuilt from the ledger (after a restart, or one the peer made) has no secret
 * in memory, and its lease without the secret is of no use to the agent (it could not settle
 * it): a retry of such a request is decided anew, like a new request, and its answer replaces the
 * old one for further retries. The first lease stays counted until it expires (nobody can settle
 * it), so a limit is never exceeded; the cost is one lease's capacity for a lease time-to-live,
 * and only for a request whose reply was lost at a restart or failover. Answering an error
 * instead would cost the same capacity (the agent asks again anyway) plus a round trip, and would
 * make the SDK take this healthy hub for unavailable.
 */
public final class AcquireService {

    /** How long an acquire refused because the request index is full should wait (as a shed one). */
    public static final Duration OVERLOADED_RETRY_AFTER = Duration.ofMillis(100);

    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final LivePools pools;
    private final RequestIndex requests;
    private final Clock clock;
    private final DemandCounter demand;
    private final ReplyDeadline replyDeadline;
    private final InputBounds bounds;
    private final GuardMetrics metrics;
    private final String hubId;
    /** What validation needs of the pools served now; rebuilt when a reload replaced them. */
    private volatile PoolIndex index;

    private record PoolIndex(PoolsConfig source, Map<String, Long> largestTokenLimit, Map<String, PoolSpec> poolsByName,
                             Map<String, Long> maxTokensPerCall) {
        static PoolIndex of(PoolsConfig pools) {
            Map<String, Long> largest = new HashMap<>();
            Map<String, PoolSpec> byName = new HashMap<>();
            Map<String, Long> perCall = new HashMap<>();
            for (PoolSpec pool : pools.pools()) {
                largest.put(pool.name(), largestTokens(pool));
                byName.put(pool.name(), pool);
                perCall.put(pool.name(), pool.maxTokensPerCall());
            }
            return new PoolIndex(pools, largest, byName, perCall);
        }
    }

    private PoolIndex index() {
        PoolsConfig now = pools.config();
        PoolIndex i = index;
        if (i.source() != now) {
            i = PoolIndex.of(now);
            index = i;
        }
        return i;
    }

    /** With default input bounds and metrics nobody sees (simulations). */
    public AcquireService(QuotaEngine engine, HubLedger ledger, PoolsConfig pools, RequestIndex requests, Clock clock,
                          DemandCounter demand, Duration replyTimeout) {
        this(engine, ledger, new LivePools(pools, new io.quotahub.hub.config.pools.PoolsSettings(List.of())), requests, clock,
                demand, replyTimeout);
    }

    /** With default input bounds and metrics nobody sees (simulations), serving pools that a reload may replace. */
    public AcquireService(QuotaEngine engine, HubLedger ledger, LivePools pools, RequestIndex requests, Clock clock,
                          DemandCounter demand, Duration replyTimeout) {
        this(engine, ledger, pools, requests, clock, demand, replyTimeout, InputBounds.ofDefaults(),
                GuardMetrics.unregistered(engine.config().hubId()));
    }

    public AcquireService(QuotaEngine engine, HubLedger ledger, LivePools pools, RequestIndex requests, Clock clock,
                          DemandCounter demand, Duration replyTimeout, InputBounds bounds, GuardMetrics metrics) {
        this.replyDeadline = new ReplyDeadline(replyTimeout);
        this.engine = engine;
        this.demand = demand;
        this.ledger = ledger;
        this.pools = pools;
        this.requests = requests;
        this.clock = clock;
        this.bounds = bounds;
        this.metrics = metrics;
        this.hubId = engine.config().hubId();
        this.index = PoolIndex.of(pools.config());
    }

    /** The most tokens one lease of the pool could ever get (Long.MAX_VALUE without token limits). */
    private static long largestTokens(PoolSpec pool) {
        long poolCap = pool.limits().stream().filter(l -> l.kind() == LimitKind.TOKENS)
                .mapToLong(LimitSpec::capacity).min().orElse(Long.MAX_VALUE);
        long best = 0;
        for (var key : pool.keys()) {
            long keyCap = key.limits().stream().filter(l -> l.kind() == LimitKind.TOKENS)
                    .mapToLong(LimitSpec::capacity).min().orElse(Long.MAX_VALUE);
            best = Math.max(best, Math.min(keyCap, poolCap));
        }
        return best;
    }

    public CompletableFuture<AcquireOutcome> acquire(AcquireCommand cmd) {
        AcquireOutcome.Failed invalid = validate(cmd);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        CompletableFuture<AcquireOutcome> mine = new CompletableFuture<>();
        CompletableFuture<AcquireOutcome> earlier = requests.claim(cmd.agentId(), cmd.requestId(), mine);
        if (earlier == RequestIndex.FULL) {
            metrics.requestIndexRefused();
            return CompletableFuture.completedFuture(new AcquireOutcome.Overloaded(cmd.pool(), "hub " + hubId
                    + " remembers " + requests.maxEntries() + " recent requests, its cap (quotahub.max-request-index);"
                    + " retry shortly or use another hub", OVERLOADED_RETRY_AFTER));
        }
        if (earlier != null) {
            return earlier.thenCompose(first -> retryAnswer(cmd, earlier, first));
        }
        decideInto(cmd, mine, "");
        return mine;
    }

    /**
     * Decides again a request whose remembered answer is a refusal: the next try of a waiting
     * acquire, which must not be answered from the memory of its own earlier refusal. The new
     * decision replaces the refusal for retries of the request id. Any other remembered answer (a
     * grant, a decision in flight) is answered as {@link #acquire} would.
     */
    public CompletableFuture<AcquireOutcome> reconsider(AcquireCommand cmd) {
        CompletableFuture<AcquireOutcome> earlier = requests.current(cmd.agentId(), cmd.requestId());
        if (earlier != null && earlier.getNow(null) instanceof AcquireOutcome.Refused && validate(cmd) == null) {
            CompletableFuture<AcquireOutcome> mine = new CompletableFuture<>();
            if (requests.replace(cmd.agentId(), cmd.requestId(), earlier, mine) == mine) {
                decideInto(cmd, mine, "");
                return mine;
            }
        }
        return acquire(cmd);
    }

    /** Decides {@code cmd} and completes {@code mine}, the future its request id is claimed with. */
    private void decideInto(AcquireCommand cmd, CompletableFuture<AcquireOutcome> mine, String notice) {
        decide(cmd, notice).whenComplete((outcome, error) -> {
            AcquireOutcome result = error == null ? outcome
                    : new AcquireOutcome.Failed(ErrorCode.INTERNAL, "acquire failed: " + error.getClass().getSimpleName());
            if (result instanceof AcquireOutcome.Failed f && f.code() == ErrorCode.UNAVAILABLE) {
                requests.forget(cmd.agentId(), cmd.requestId()); // nothing was granted: a retry may try again
            }
            mine.complete(result);
        });
    }

    /**
     * The answer to a retried request id: its first answer, unless that is a grant whose secret
     * this hub does not hold; then a new decision (see the class comment).
     */
    private CompletableFuture<AcquireOutcome> retryAnswer(AcquireCommand cmd, CompletableFuture<AcquireOutcome> earlier,
                                                          AcquireOutcome first) {
        if (first instanceof AcquireOutcome.Leased g && g.lease() != null && Principals.binds(g.lease().principal())
                && !g.lease().principal().equals(cmd.principal())) {
            // the same agent and request id from someone else: never hand out another principal's lease
            return failed(ErrorCode.FORBIDDEN, "request id '" + cmd.requestId() + "' of agent '" + cmd.agentId()
                    + "' was granted to another principal; use a new request id");
        }
        if (!(first instanceof AcquireOutcome.Leased g) || g.leaseSecret() != null) {
            return CompletableFuture.completedFuture(first);
        }
        CompletableFuture<AcquireOutcome> mine = new CompletableFuture<>();
        CompletableFuture<AcquireOutcome> current = requests.replace(cmd.agentId(), cmd.requestId(), earlier, mine);
        if (current == null) {
            return acquire(cmd); // forgotten meanwhile: a new request
        }
        if (current != mine) {
            return current; // another retry of it got there first: answer as that one
        }
        decideInto(cmd, mine, "a new lease: the first one granted to this request id (by hub "
                + (g.lease() == null ? "?" : g.lease().hubId()) + ", before a restart or a failover) cannot be"
                + " answered again without its secret, which this hub does not hold; it expires unused");
        return mine;
    }

    private CompletableFuture<AcquireOutcome> decide(AcquireCommand cmd, String retryNotice) {
        if (!ledger.enterDecision()) {
            // a planned stop: the SDKs take UNAVAILABLE as "ask the other hub now"
            return failed(ErrorCode.UNAVAILABLE, "hub " + hubId + " is stopping: its budget goes to its peer; use the other hub");
        }
        try {
            return decideInGate(cmd, retryNotice);
        } finally {
            ledger.exitDecision(); // the grant's append, if any, is queued: a hand-over after it follows it
        }
    }

    private CompletableFuture<AcquireOutcome> decideInGate(AcquireCommand cmd, String retryNotice) {
        Ledger target = ledger.current();
        if (target == null) {
            return failed(ErrorCode.UNAVAILABLE, "hub is starting: its ledger is not replayed yet");
        }
        if (target.fenced()) {
            return failed(ErrorCode.FENCED, "this hub was fenced by its peer and grants nothing; use the other hub");
        }
        Priority priority = cmd.priority();
        String notice = retryNotice;
        PoolSpec spec = index().poolsByName().get(cmd.pool());
        if (priority == Priority.HIGH && spec != null && !spec.policy().mayUseHighPriority(cmd.agentId())) {
            priority = Priority.NORMAL;
            notice = (notice.isEmpty() ? "" : notice + "; ") + "priority HIGH is reserved for the agents in pool "
                    + cmd.pool() + "'s high-priority-agents: this request was taken as NORMAL";
            metrics.priorityDowngraded(cmd.pool());
        }
        LeaseSecret leaseSecret = LeaseSecret.issue();
        Decision decision = engine.acquire(new AcquireRequest(cmd.pool(), cmd.tokens(), priority, cmd.agentId(),
                cmd.requestId(), leaseSecret.digest(), cmd.principal()));
        if (countsAsDemand(decision)) {
            demand.record(cmd.pool());
        }
        if (decision instanceof Decision.Denied denied) {
            if (denied.refusal().code() == RefusalCode.NO_USABLE_KEY || denied.refusal().code() == RefusalCode.INVALID_REQUEST) {
                return failed(ErrorCode.BAD_REQUEST, denied.refusal().message());
            }
            return CompletableFuture.completedFuture(new AcquireOutcome.Refused(denied.refusal(), notice));
        }
        var lease = ((Decision.Admitted) decision).lease();
        Secret secret = pools.secret(new KeyRef(lease.pool(), lease.keyId()));
        String grantNotice = notice;
        CompletableFuture<AcquireOutcome> reply = target.append(LedgerEvents.grant(lease)).handle((ok, error) -> {
            if (error == null) {
                return new AcquireOutcome.Leased(lease, secret, leaseSecret, grantNotice);
            }
            // The ledger only fails an append that is certainly not stored: forget the grant.
            engine.cancel(lease.leaseId());
            Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
            if (cause instanceof LedgerFencedException) {
                return new AcquireOutcome.Failed(ErrorCode.FENCED, "this hub was fenced by its peer and grants nothing; use the other hub");
            }
            return new AcquireOutcome.Failed(ErrorCode.UNAVAILABLE, "grant could not be made durable: " + cause.getMessage());
        });
        // An append whose acknowledgement was lost may still be stored: the grant stays counted
        // (it expires unused) and the agent is told to go elsewhere.
        return replyDeadline.within(reply, new AcquireOutcome.Failed(ErrorCode.UNAVAILABLE,
                "the ledger did not confirm the grant in time; it was not given out"));
    }

    /**
     * Whether a decision is demand for budget: a grant, or a refusal more budget could cure. An
     * agent refused for holding its share already is not: else one agent flooding a hub with
     * requests it can never be granted would pull the budget to that hub, away from the agents of
     * the other.
     */
    private static boolean countsAsDemand(Decision decision) {
        return !(decision instanceof Decision.Denied denied) || denied.refusal().code() != RefusalCode.AGENT_LIMIT;
    }

    /** @return null when the command is valid */
    private AcquireOutcome.Failed validate(AcquireCommand cmd) {
        AcquireOutcome.Failed tooLong = tooLong("requestId", cmd.requestId());
        tooLong = tooLong != null ? tooLong : tooLong("agentId", cmd.agentId());
        tooLong = tooLong != null ? tooLong : tooLong("pool", cmd.pool());
        if (tooLong != null) {
            return tooLong;
        }
        if (isBlank(cmd.requestId())) {
            return bad("requestId is missing");
        }
        if (isBlank(cmd.agentId())) {
            return bad("agentId is missing");
        }
        if (isBlank(cmd.pool())) {
            return bad("pool is missing");
        }
        if (cmd.priority() == null) {
            return bad("priority must be one of LOW, NORMAL, HIGH");
        }
        PoolIndex served = index();
        Long largest = served.largestTokenLimit().get(cmd.pool());
        if (largest == null) {
            return new AcquireOutcome.Failed(ErrorCode.UNKNOWN_POOL, "unknown pool '" + cmd.pool() + "'; configured pools: "
                    + served.largestTokenLimit().keySet());
        }
        if (served.source().unusablePools().contains(cmd.pool())) {
            return new AcquireOutcome.Failed(ErrorCode.NO_USABLE_KEY, "pool '" + cmd.pool()
                    + "' has no usable key (their secrets could not be read at start-up; see the hub log)");
        }
        if (cmd.tokens() <= 0) {
            return bad("tokens must be > 0, was " + cmd.tokens());
        }
        if (cmd.tokens() > largest) {
            return bad("tokens " + cmd.tokens() + " exceed the largest token limit of pool '" + cmd.pool() + "' (" + largest + ")");
        }
        long perCall = served.maxTokensPerCall().get(cmd.pool());
        if (cmd.tokens() > perCall) {
            return bad("tokens " + cmd.tokens() + " exceed the bound " + perCall + " of pool '" + cmd.pool() + "' (max-tokens-per-call)");
        }
        if (cmd.deadline() != null && !cmd.deadline().isAfter(clock.instant())) {
            return new AcquireOutcome.Failed(ErrorCode.DEADLINE_EXCEEDED, "request deadline " + cmd.deadline() + " has passed");
        }
        return null;
    }

    private AcquireOutcome.Failed tooLong(String field, String value) {
        String problem = bounds.fieldProblem(field, value);
        return problem == null ? null : new AcquireOutcome.Failed(ErrorCode.BAD_REQUEST, problem, RejectReason.FIELD_TOO_LONG);
    }

    private static AcquireOutcome.Failed bad(String message) {
        return new AcquireOutcome.Failed(ErrorCode.BAD_REQUEST, message);
    }

    private static CompletableFuture<AcquireOutcome> failed(ErrorCode code, String message) {
        return CompletableFuture.completedFuture(new AcquireOutcome.Failed(code, message));
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
