package io.quotahub.hub.service;

import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.Decision;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Refusal;
import io.quotahub.engine.RefusalCode;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.LivePools;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.ledger.LedgerFencedException;
import io.quotahub.hub.ledger.ShadowWatch;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.PolicyMetrics;
import io.quotahub.hub.replication.DemandCounter;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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
 *
 * <p><b>Fallback pools.</b> One acquire is one decision under one request id: the pool asked for,
 * then each of its {@code fallback} pools in the configured order (unless the caller opted out);
 * the first grant wins and goes to the ledger under the pool that granted it. While the pool asked
 * for says it has room again before the caller stops waiting, its refusal is answered instead and
 * the caller waits for it. A refusal of every pool lists them all ({@link AcquireOutcome.Refused#tried()}).
 * The engine decides one pool at a time and knows nothing of this routing.
 */
public final class AcquireService {

    /** How long an acquire refused because the request index is full should wait (as a shed one). */
    public static final Duration OVERLOADED_RETRY_AFTER = Duration.ofMillis(100);
    /** The retry-after listed for a fallback pool that cannot serve at all (no usable key). */
    private static final Duration NOT_SERVING_RETRY = Duration.ofMinutes(1);

    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final LivePools pools;
    private final RequestIndex requests;
    private final Clock clock;
    private final DemandCounter demand;
    private final ReplyDeadline replyDeadline;
    private final InputBounds bounds;
    private final GuardMetrics metrics;
    private final PolicyMetrics policyMetrics;
    private final ShadowWatch shadows;
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
        this(engine, ledger, LivePools.of(pools), requests, clock,
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
        this(engine, ledger, pools, requests, clock, demand, replyTimeout, bounds, metrics,
                PolicyMetrics.unregistered(engine.config().hubId()), new ShadowWatch());
    }

    /**
     * @param policyMetrics fallback and shadow metrics
     * @param shadows       where this hub's own shadow grants are recorded (the fold records the rest)
     */
    public AcquireService(QuotaEngine engine, HubLedger ledger, LivePools pools, RequestIndex requests, Clock clock,
                          DemandCounter demand, Duration replyTimeout, InputBounds bounds, GuardMetrics metrics,
                          PolicyMetrics policyMetrics, ShadowWatch shadows) {
        this.policyMetrics = policyMetrics;
        this.shadows = shadows;
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

    /** The shadow refusals this hub recorded and folded (for the state endpoint and the dashboard). */
    public ShadowWatch shadowWatch() {
        return shadows;
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
        List<String> chain = chain(cmd);
        List<Refusal> tried = new ArrayList<>(chain.size());
        StringBuilder notice = new StringBuilder(retryNotice);
        for (int i = 0; i < chain.size(); i++) {
            String pool = chain.get(i);
            if (i > 0 && pools.config().unusablePools().contains(pool)) {
                tried.add(new Refusal(RefusalCode.NO_USABLE_KEY, pool, null, null, NOT_SERVING_RETRY,
                        "pool " + pool + " has no usable key (their secrets could not be read at start-up)"));
                continue;
            }
            Priority priority = priorityIn(pool, cmd, notice);
            LeaseSecret leaseSecret = LeaseSecret.issue();
            Decision decision = engine.acquire(new AcquireRequest(pool, cmd.tokens(), priority, cmd.agentId(),
                    cmd.requestId(), leaseSecret.digest(), cmd.principal(), cmd.blockCalls()));
            if (countsAsDemand(decision)) {
                demand.record(pool);
            }
            if (decision instanceof Decision.Admitted admitted) {
                return grant(target, admitted, leaseSecret, notice.toString(), tried);
            }
            Refusal refusal = ((Decision.Denied) decision).refusal();
            if (i == 0 && (refusal.code() == RefusalCode.NO_USABLE_KEY || refusal.code() == RefusalCode.INVALID_REQUEST)) {
                return failed(ErrorCode.BAD_REQUEST, refusal.message());
            }
            tried.add(refusal);
            if (i > 0) {
                policyMetrics.fallbackRefused(cmd.pool(), pool);
            } else if (chain.size() > 1 && primaryWithinWait(refusal, cmd)) {
                // the pool asked for has room again before the caller stops waiting: wait for it
                return CompletableFuture.completedFuture(new AcquireOutcome.Refused(refusal, notice.toString()));
            }
        }
        if (tried.size() == 1) {
            return CompletableFuture.completedFuture(new AcquireOutcome.Refused(tried.get(0), notice.toString()));
        }
        policyMetrics.fallbackExhausted(cmd.pool());
        return CompletableFuture.completedFuture(new AcquireOutcome.Refused(firstToFreeUp(tried), notice.toString(), tried));
    }

    /** The pools to try, in order: the pool asked for, then its fallbacks unless the caller opted out. */
    private List<String> chain(AcquireCommand cmd) {
        PoolSpec spec = index().poolsByName().get(cmd.pool());
        if (!cmd.fallback() || spec.fallback().isEmpty()) {
            return List.of(cmd.pool());
        }
        List<String> chain = new ArrayList<>(1 + spec.fallback().size());
        chain.add(cmd.pool());
        for (String f : spec.fallback()) {
            if (index().poolsByName().containsKey(f)) { // the binder checked the names; specs built in code are not
                chain.add(f);
            }
        }
        return chain;
    }

    /**
     * Whether the pool asked for will have room before the caller stops waiting, as far as its
     * refusal says: a refusal that time cures ({@link WaitingAcquire#WORTH_WAITING}) whose
     * retry-after ends before the caller's wait. BUDGET_EXHAUSTED is not: the other hub may hold the
     * rest, but this hub cannot say when.
     */
    private boolean primaryWithinWait(Refusal refusal, AcquireCommand cmd) {
        return cmd.waitUntil() != null && refusal.code() != RefusalCode.BUDGET_EXHAUSTED
                && WaitingAcquire.WORTH_WAITING.contains(refusal.code())
                && !clock.instant().plus(refusal.retryAfter()).isAfter(cmd.waitUntil());
    }

    /**
     * The refusal of the pool that frees up first (the earliest in the order on a tie): what a
     * retry, which tries every pool again, waits for. A pool that can never serve the request
     * (NO_USABLE_KEY, INVALID_REQUEST) is only listed.
     */
    private static Refusal firstToFreeUp(List<Refusal> tried) {
        Refusal best = tried.get(0);
        for (Refusal r : tried) {
            if (r.code() != RefusalCode.NO_USABLE_KEY && r.code() != RefusalCode.INVALID_REQUEST
                    && r.retryAfter().compareTo(best.retryAfter()) < 0) {
                best = r;
            }
        }
        return best;
    }

    /** The priority the request gets in {@code pool}: HIGH only for the pool's high-priority agents. */
    private Priority priorityIn(String pool, AcquireCommand cmd, StringBuilder notice) {
        if (cmd.priority() != Priority.HIGH || index().poolsByName().get(pool).policy().mayUseHighPriority(cmd.agentId())) {
            return cmd.priority();
        }
        if (notice.indexOf("priority HIGH is reserved") < 0) {
            notice.append(notice.length() == 0 ? "" : "; ").append("priority HIGH is reserved for the agents in pool ")
                    .append(pool).append("'s high-priority-agents: this request was taken as NORMAL");
        }
        metrics.priorityDowngraded(pool);
        return Priority.NORMAL;
    }

    /** Makes {@code admitted} durable and answers it (see the class comment). */
    private CompletableFuture<AcquireOutcome> grant(Ledger target, Decision.Admitted admitted, LeaseSecret leaseSecret,
                                                    String notice, List<Refusal> passedOver) {
        var lease = admitted.lease();
        Secret secret = pools.secret(new KeyRef(lease.pool(), lease.keyId()));
        String grantNotice = notice;
        if (!passedOver.isEmpty()) {
            policyMetrics.fallbackLeased(passedOver.get(0).pool(), lease.pool());
            grantNotice = (notice.isEmpty() ? "" : notice + "; ") + "leased from fallback pool " + lease.pool() + ": "
                    + passedOver.stream().map(r -> "pool " + r.pool() + " " + r.code()).collect(Collectors.joining(", "));
        }
        Refusal shadow = admitted.shadow();
        if (shadow != null) {
            grantNotice = (grantNotice.isEmpty() ? "" : grantNotice + "; ") + "granted in shadow mode: enforcing would have refused it ("
                    + shadow.code() + (shadow.limit() == null ? "" : ", " + shadow.limit()) + ")";
        }
        String answeredNotice = grantNotice;
        var event = LedgerEvents.grant(lease, shadow);
        CompletableFuture<AcquireOutcome> reply = target.append(event).handle((ok, error) -> {
            if (error == null) {
                if (shadow != null) {
                    policyMetrics.shadowRefusal(lease.pool(), lease.keyId(), shadow.code());
                    shadows.record(hubId, lease.pool(), lease.keyId(), event.getGrant().getShadow(), event.getAtEpochMs());
                }
                return new AcquireOutcome.Leased(lease, secret, leaseSecret, answeredNotice, passedOver, admitted.shadow());
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
        if (cmd.blockCalls() < 0 || cmd.blockCalls() > BlockPolicy.MAX_CALLS) {
            return bad("blockCalls must be between 0 (one call) and " + BlockPolicy.MAX_CALLS + ", was " + cmd.blockCalls());
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
