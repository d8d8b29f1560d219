package io.quotahub.bench;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.SettleResult;
import io.quotahub.engine.Settlement;
import io.quotahub.testing.ManualClock;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *   <li>{@link #acquireManyPools}: {@link #acquire} on an engine of {@code totalKeys} keys in pools of
 *       100 keys; each decision goes to the next pool (round robin).</li>
 *   <li>{@link #settle}: one settlement ({@code OK}, 1 token) alone: the {@value #BATCH} leases are
 *       granted in the untimed per-invocation setup, which also moves the clock 1 s and runs
 *       {@link QuotaEngine#tick}; windows and remembered settled ids reach a steady state.</li>
 *   <li>{@link #windowSlide}: a decision while the window slides: the clock moves 1 ms per op, so
 *       each decision first evicts the entry settled 1 min (+ margin) ago from a window of about
 *       60 000 entries (the previous batch is settled, untimed, at its grant times).</li>
 *   <li>{@link #rebalanceStep}: what a hub's rebalancer does per step on a two-hub engine with a pool
 *       of 100 keys: {@link QuotaEngine#budgetTable} and a {@link QuotaEngine#giveAway} of 1 unit of
 *       each of the 100 limits, then {@link QuotaEngine#revertTransfer} so that the state stays flat.</li>
 * </ul>
 * The engine's memory per key is printed by {@link EngineMemory}.
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
        @Param({"1", "100", "1000", "10000"})
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

    /** {@link #acquireManyPools}: {@code totalKeys} keys in pools "p0", "p1", … of {@value #POOL_SIZE} keys. */
    @State(Scope.Thread)
    public static class ManyPools {
        @Param({"1000", "10000"})
        int totalKeys;

        QuotaEngine engine;
        AcquireRequest[] requests;
        int next;
        final List<String> leaseIds = new ArrayList<>(BATCH);

        @Setup(Level.Trial)
        public void setUp() {
            int pools = Math.max(1, totalKeys / POOL_SIZE);
            List<PoolSpec> specs = new ArrayList<>(pools);
            requests = new AcquireRequest[pools];
            for (int p = 0; p < pools; p++) {
                specs.add(pool("p" + p, POOL_SIZE));
                requests[p] = new AcquireRequest("p" + p, 1, Priority.NORMAL, "agent-1", "req-1");
            }
            engine = new QuotaEngine(EngineConfig.builder("main").pools(specs).build(),
                    new ManualClock(Instant.parse("2025-01-01T00:00:00Z")), null);
        }

        @Setup(Level.Invocation)
        public void cancelPrevious() {
            for (String id : leaseIds) {
                engine.cancel(id);
            }
            leaseIds.clear();
        }
    }

    /** {@link #settle}: the leases of the next batch, granted untimed. */
    @State(Scope.Thread)
    public static class ToSettle {
        ManualClock clock;
        QuotaEngine engine;
        AcquireRequest request;
        final String[] leaseIds = new String[BATCH];

        @Setup(Level.Trial)
        public void setUp() {
            clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
            engine = newEngine(1, clock);
            request = new AcquireRequest("bench", 1, Priority.NORMAL, "agent-1", "req-1");
        }

        @Setup(Level.Invocation)
        public void grantBatch() {
            clock.advance(Duration.ofSeconds(1));
            engine.tick();
            for (int i = 0; i < BATCH; i++) {
                Decision d = engine.acquire(request);
                if (!(d instanceof Decision.Admitted g)) {
                    throw new IllegalStateException("refused: " + d);
                }
                leaseIds[i] = g.lease().leaseId();
            }
        }
    }

    /** {@link #windowSlide}: one key; the previous batch is settled (untimed) at its grant times. */
    @State(Scope.Thread)
    public static class Sliding {
        ManualClock clock;
        QuotaEngine engine;
        AcquireRequest request;
        final List<LeaseRecord> leases = new ArrayList<>(BATCH);

        @Setup(Level.Trial)
        public void setUp() {
            clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
            engine = newEngine(1, clock);
            request = new AcquireRequest("bench", 1, Priority.NORMAL, "agent-1", "req-1");
        }

        @Setup(Level.Invocation)
        public void settlePrevious() {
            for (LeaseRecord l : leases) {
                engine.settle(new Settlement(l.leaseId(), 1, Outcome.OK, Duration.ZERO, l.grantedAt()));
            }
            leases.clear();
            engine.tick();
        }
    }

    /** {@link #rebalanceStep}: hubs "main" and "edge" 50/50, one pool of 100 keys. */
    @State(Scope.Thread)
    public static class Rebalance {
        QuotaEngine engine;
        Map<LimitRef, Long> request;
        long transfers;

        @Setup(Level.Trial)
        public void setUp() {
            engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool("bench", POOL_SIZE)))
                    .budgetShares(Map.of("main", 0.5, "edge", 0.5)).build(),
                    new ManualClock(Instant.parse("2025-01-01T00:00:00Z")), null);
            request = new HashMap<>();
            for (LimitRef ref : engine.limitRefs()) {
                request.put(ref, 1L);
            }
        }
    }

    static final int POOL_SIZE = 100;

    static PoolSpec pool(String name, int keys) {
        List<KeySpec> specs = new ArrayList<>(keys);
        for (int i = 0; i < keys; i++) {
            specs.add(new KeySpec("k" + i, List.of(LimitSpec.requests(CAPACITY, Duration.ofMinutes(1))), 0));
        }
        return new PoolSpec(name, specs, List.of(), 0, Preset.PREMIUM);
    }

    static QuotaEngine newEngine(int keys, ManualClock clock) {
        return new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool("bench", keys))).build(), clock, null);
    }

    /** One decision (a grant), fixed clock. Score: ns per decision. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void acquire(EngineWithCancel e, Blackhole bh) {
        QuotaEngine engine = e.engine;
        AcquireRequest request = e.request;
        for (int i = 0; i < BATCH; i++) {
            Decision d = engine.acquire(request);
            if (!(d instanceof Decision.Admitted g)) {
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
        if (!(d instanceof Decision.Admitted g)) {
            throw new IllegalStateException("refused: " + d);
        }
        SettleResult r = e.engine.settle(new Settlement(g.lease().leaseId(), 1, Outcome.OK, Duration.ZERO, e.clock.instant()));
        if (++e.sinceTick == TICK_EVERY) {
            e.sinceTick = 0;
            e.engine.tick();
        }
        return r;
    }

    /** One decision, each on the next of many pools of 100 keys, fixed clock. Score: ns per decision. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void acquireManyPools(ManyPools s, Blackhole bh) {
        QuotaEngine engine = s.engine;
        AcquireRequest[] requests = s.requests;
        int next = s.next;
        for (int i = 0; i < BATCH; i++) {
            Decision d = engine.acquire(requests[next]);
            if (++next == requests.length) {
                next = 0;
            }
            if (!(d instanceof Decision.Admitted g)) {
                throw new IllegalStateException("refused: " + d);
            }
            s.leaseIds.add(g.lease().leaseId());
            bh.consume(d);
        }
        s.next = next;
    }

    /** One settlement of an open lease (granted untimed). Score: ns per settle. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void settle(ToSettle s, Blackhole bh) {
        QuotaEngine engine = s.engine;
        Instant at = s.clock.instant();
        for (int i = 0; i < BATCH; i++) {
            SettleResult r = engine.settle(new Settlement(s.leaseIds[i], 1, Outcome.OK, Duration.ZERO, at));
            if (r != SettleResult.SETTLED) {
                throw new IllegalStateException("not settled: " + r);
            }
            bh.consume(r);
        }
    }

    /** One decision after the clock moved 1 ms: the window evicts one old entry. Score: ns per decision. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void windowSlide(Sliding s, Blackhole bh) {
        QuotaEngine engine = s.engine;
        for (int i = 0; i < BATCH; i++) {
            s.clock.advance(ONE_MS);
            Decision d = engine.acquire(s.request);
            if (!(d instanceof Decision.Admitted g)) {
                throw new IllegalStateException("refused: " + d);
            }
            s.leases.add(g.lease());
            bh.consume(d);
        }
    }

    /** budgetTable() + giveAway(1 unit of each of 100 limits) + its revert. Score: ns per step. */
    @Benchmark
    public Map<LimitRef, Long> rebalanceStep(Rebalance s, Blackhole bh) {
        bh.consume(s.engine.budgetTable());
        String id = "t-" + s.transfers++;
        Map<LimitRef, Long> moved = s.engine.giveAway(id, "edge", s.request);
        if (moved.size() != s.request.size() || !s.engine.revertTransfer(id)) {
            throw new IllegalStateException("moved " + moved.size() + " of " + s.request.size());
        }
        return moved;
    }
}
