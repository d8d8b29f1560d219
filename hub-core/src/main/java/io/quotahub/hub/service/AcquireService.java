package io.quotahub.hub.service;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.RefusalCode;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.ledger.LedgerFencedException;
import io.quotahub.hub.replication.DemandCounter;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The acquire path, whatever the transport: validate → engine decision → durable ledger append →
 * answer. A grant is answered only after the ledger acknowledged it; if the append fails the
 * engine forgets the grant and the agent gets an error, never a lease.
 */
public final class AcquireService {

    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final PoolsConfig pools;
    private final RequestIndex requests;
    private final Clock clock;
    private final DemandCounter demand;
    private final ReplyDeadline replyDeadline;
    private final Map<String, Long> largestTokenLimit = new HashMap<>();

    public AcquireService(QuotaEngine engine, HubLedger ledger, PoolsConfig pools, RequestIndex requests, Clock clock,
                          DemandCounter demand, Duration replyTimeout) {
        this.replyDeadline = new ReplyDeadline(replyTimeout);
        this.engine = engine;
        this.demand = demand;
        this.ledger = ledger;
        this.pools = pools;
        this.requests = requests;
        this.clock = clock;
        for (PoolSpec pool : pools.pools()) {
            largestTokenLimit.put(pool.name(), largestTokens(pool));
        }
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
        if (earlier != null) {
            return earlier;
        }
        decide(cmd).whenComplete((outcome, error) -> {
            AcquireOutcome result = error == null ? outcome
                    : new AcquireOutcome.Failed(ErrorCode.INTERNAL, "acquire failed: " + error.getClass().getSimpleName());
            if (result instanceof AcquireOutcome.Failed f && f.code() == ErrorCode.UNAVAILABLE) {
                requests.forget(cmd.agentId(), cmd.requestId()); // nothing was granted: a retry may try again
            }
            mine.complete(result);
        });
        return mine;
    }

    private CompletableFuture<AcquireOutcome> decide(AcquireCommand cmd) {
        Ledger target = ledger.current();
        if (target == null) {
            return failed(ErrorCode.UNAVAILABLE, "hub is starting: its ledger is not replayed yet");
        }
        if (target.fenced()) {
            return failed(ErrorCode.FENCED, "this hub was fenced by its peer and grants nothing; use the other hub");
        }
        Decision decision = engine.acquire(new AcquireRequest(cmd.pool(), cmd.tokens(), cmd.priority(), cmd.agentId(), cmd.requestId()));
        demand.record(cmd.pool());
        if (decision instanceof Decision.Denied denied) {
            if (denied.refusal().code() == RefusalCode.NO_USABLE_KEY) {
                return failed(ErrorCode.BAD_REQUEST, denied.refusal().message());
            }
            return CompletableFuture.completedFuture(new AcquireOutcome.Refused(denied.refusal()));
        }
        var lease = ((Decision.Granted) decision).lease();
        Secret secret = pools.secrets().get(new KeyRef(lease.pool(), lease.keyId()));
        CompletableFuture<AcquireOutcome> reply = target.append(LedgerEvents.grant(lease)).handle((ok, error) -> {
            if (error == null) {
                return new AcquireOutcome.Granted(lease, secret);
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

    /** @return null when the command is valid */
    private AcquireOutcome.Failed validate(AcquireCommand cmd) {
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
        Long largest = largestTokenLimit.get(cmd.pool());
        if (largest == null) {
            return new AcquireOutcome.Failed(ErrorCode.UNKNOWN_POOL, "unknown pool '" + cmd.pool() + "'; configured pools: "
                    + largestTokenLimit.keySet());
        }
        if (pools.unusablePools().contains(cmd.pool())) {
            return new AcquireOutcome.Failed(ErrorCode.NO_USABLE_KEY, "pool '" + cmd.pool()
                    + "' has no usable key (their secrets could not be read at start-up; see the hub log)");
        }
        if (cmd.tokens() <= 0) {
            return bad("tokens must be > 0, was " + cmd.tokens());
        }
        if (cmd.tokens() > largest) {
            return bad("tokens " + cmd.tokens() + " exceed the largest token limit of pool '" + cmd.pool() + "' (" + largest + ")");
        }
        if (cmd.deadline() != null && !cmd.deadline().isAfter(clock.instant())) {
            return new AcquireOutcome.Failed(ErrorCode.DEADLINE_EXCEEDED, "request deadline " + cmd.deadline() + " has passed");
        }
        return null;
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
