package io.quotahub.engine;

import io.quotahub.testing.ManualClock;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Shared test helpers: a manual clock at a fixed start, small configs, terse acquire/settle. */
final class Fixtures {

    static final Instant T0 = Instant.parse("2026-03-02T12:00:00Z");
    private static final AtomicLong REQUESTS = new AtomicLong();

    private Fixtures() {
    }

    static EngineConfig.Builder config(PoolSpec... pools) {
        return EngineConfig.builder("main").pools(List.of(pools));
    }

    static EngineConfig.Builder config2(Map<String, Double> shares, PoolSpec... pools) {
        return EngineConfig.builder("main").budgetShares(shares).pools(List.of(pools));
    }

    static PoolSpec pool(String name, Preset preset, KeySpec... keys) {
        return new PoolSpec(name, List.of(keys), List.of(), 0, preset);
    }

    static KeySpec key(String id, LimitSpec... limits) {
        return new KeySpec(id, List.of(limits), 0);
    }

    static AcquireRequest req(String pool, long tokens) {
        return req(pool, tokens, Priority.NORMAL);
    }

    static AcquireRequest req(String pool, long tokens, Priority priority) {
        return new AcquireRequest(pool, tokens, priority, "agent-1", "r" + REQUESTS.incrementAndGet());
    }

    static LeaseRecord granted(Decision d) {
        if (d instanceof Decision.Admitted g) {
            return g.lease();
        }
        throw new AssertionError("expected a grant, got " + d);
    }

    static Refusal denied(Decision d) {
        if (d instanceof Decision.Denied r) {
            return r.refusal();
        }
        throw new AssertionError("expected a refusal, got " + d);
    }

    static Settlement ok(LeaseRecord lease, long tokensUsed, ManualClock clock) {
        return new Settlement(lease.leaseId(), tokensUsed, Outcome.OK, Duration.ZERO, clock.instant());
    }

    static Settlement outcome(LeaseRecord lease, Outcome outcome, Duration retryAfter, ManualClock clock) {
        return new Settlement(lease.leaseId(), lease.tokens(), outcome, retryAfter, clock.instant());
    }
}
