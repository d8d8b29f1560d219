package io.quotahub.bench;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.ManualClock;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.SettleResult;
import io.quotahub.engine.Settlement;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Cost of one {@link QuotaEngine#acquire} decision, in memory, one thread, on a pool of
 * {@code keys} keys (1, or 100 to show how the decision scales with the pool). Every limit is
 * {@code requests 10^12 per 1m} and the preset is {@link Preset#PREMIUM} (no burst protection), so
 * every measured acquire is a real grant: a refusal fails the benchmark instead of being timed.
 *
 * <ul>
 *   <li>{@link #acquire}: the decision alone. Each invocation makes {@value #BATCH} grants on a fixed
 *       {@link ManualClock}; the grants are cancelled ({@link QuotaEngine#cancel}) in the untimed
 *       per-invocation setup, so the engine holds between 0 and {@value #BATCH} open leases while it
 *       is measured and its state does not grow over the run.</li>
 *   <li>{@link #acquireSettle}: a grant and its settlement ({@code OK}, 1 token) in one op, the
 *       steady state of a hub. The clock moves 1 ms per op, so every window slides and evicts,
 *       and holds about 60 000 settled entries (1 min + settle margin); every 1 000 ops (one
 *       engine-second) the op also runs {@link QuotaEngine#tick}, as the hub does once a second,
 *       which also forgets old settled lease ids.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class EngineDecisionBenchmark {

    static final int BATCH = 1_000;
    static final long CAPACITY = 1_000_000_000_000L;
    static final int TICK_EVERY = 1_000;
    static final Duration ONE_MS = Duration.ofMillis(1);

    /** An engine with one pool "bench" of {@code keys} keys, each {@code requests 10^12/1m}. */
    @State(Scope.Thread)
    public static class Engine {
        @Param({"1", "100"})
        int keys;

        ManualClock clock;
        QuotaEngine engine;
        AcquireRequest request;
        int sinceTick;

        @Setup(Level.Trial)
        public void setUp() {
            clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
            engine = newEngine(keys, clock);
            request = new AcquireRequest("bench", 1, Priority.NORMAL, "agent-1", "req-1");
        }
    }

    /**
     * The same engine for {@link #acquire}, plus the grants of its last invocation, cancelled
     * (untimed) before the next one. (Its own class: a per-invocation helper would otherwise also
     * run, and cost, around every {@link #acquireSettle} op.)
     */
    @State(Scope.Thread)
    public static class EngineWithCancel extends Engine {
        final List<String> leaseIds = new ArrayList<>(BATCH);

        @Setup(Level.Invocation)
        public void cancelPrevious() {
            for (String id : leaseIds) {
                engine.cancel(id);
            }
            leaseIds.clear();
        }

        @TearDown(Level.Iteration)
        public void checkBounded() {
            cancelPrevious();
            int open = engine.view().openLeases();
            if (open != 0) {
                throw new IllegalStateException(open + " leases still open after cancelling: the engine state grows");
            }
        }
    }

    static QuotaEngine newEngine(int keys, ManualClock clock) {
        List<KeySpec> specs = new ArrayList<>(keys);
        for (int i = 0; i < keys; i++) {
            specs.add(new KeySpec("k" + i, List.of(LimitSpec.requests(CAPACITY, Duration.ofMinutes(1))), 0));
        }
        PoolSpec pool = new PoolSpec("bench", specs, List.of(), 0, Preset.PREMIUM);
        return new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).build(), clock, null);
    }

    /** One decision (a grant), fixed clock. Score: ns per decision. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void acquire(EngineWithCancel e, Blackhole bh) {
        QuotaEngine engine = e.engine;
        AcquireRequest request = e.request;
        for (int i = 0; i < BATCH; i++) {
            Decision d = engine.acquire(request);
            if (!(d instanceof Decision.Granted g)) {
                throw new IllegalStateException("refused: " + d);
            }
            e.leaseIds.add(g.lease().leaseId());
            bh.consume(d);
        }
    }

    /** One grant plus its settlement, the clock 1 ms later each op, a tick every 1 000 ops. Score: ns per pair. */
    @Benchmark
    public SettleResult acquireSettle(Engine e) {
        e.clock.advance(ONE_MS);
        Decision d = e.engine.acquire(e.request);
        if (!(d instanceof Decision.Granted g)) {
            throw new IllegalStateException("refused: " + d);
        }
        SettleResult r = e.engine.settle(new Settlement(g.lease().leaseId(), 1, Outcome.OK, Duration.ZERO, e.clock.instant()));
        if (++e.sinceTick == TICK_EVERY) {
            e.sinceTick = 0;
            e.engine.tick();
        }
        return r;
    }
}
