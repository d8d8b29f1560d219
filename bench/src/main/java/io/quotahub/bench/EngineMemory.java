package io.quotahub.bench;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.testing.ManualClock;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The engine's heap per key, and per remembered settled lease id, without JOL: heap used (after
 * GC, {@link MemoryMXBean}) with the engine built minus before, divided by the count. Keys are
 * those of {@link EngineDecisionBenchmark} (one {@code requests} limit each), in one pool and in
 * pools of 100. Run: {@code java -cp bench/target/bench.jar io.quotahub.bench.EngineMemory}
 * with the default collector (G1; on this JDK Serial GC's "used" after {@code System.gc()} did not drop
 * when an object became garbage, which gave nonsense figures).
 */
public final class EngineMemory {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private EngineMemory() {
    }

    public static void main(String[] args) {
        System.out.printf("%-32s %10s %12s%n", "engine", "count", "bytes/each");
        for (int round = 0; round < 2; round++) { // the first round also warms up class loading
            for (int keys : new int[] {1_000, 10_000}) {
                int n = keys;
                report(round, keys + " keys, one pool", keys, retained(() -> new QuotaEngine(EngineConfig.builder("main")
                        .pools(List.of(EngineDecisionBenchmark.pool("bench", n))).build(), clock(), null)));
                report(round, keys + " keys, pools of 100", keys, retained(() -> {
                    List<PoolSpec> pools = new ArrayList<>();
                    for (int p = 0; p < n / EngineDecisionBenchmark.POOL_SIZE; p++) {
                        pools.add(EngineDecisionBenchmark.pool("p" + p, EngineDecisionBenchmark.POOL_SIZE));
                    }
                    return new QuotaEngine(EngineConfig.builder("main").pools(pools).build(), clock(), null);
                }));
            }
            int ids = 100_000;
            ManualClock clock = clock();
            QuotaEngine engine = EngineDecisionBenchmark.newEngine(1, clock);
            AcquireRequest request = new AcquireRequest("bench", 1, Priority.NORMAL, "agent-1", "req-1");
            settle(engine, clock, request, 1_000); // the window's arrays grown for this rate
            // each settle also leaves one entry in the key's window (time, amount, slot: 17 B), counted here
            report(round, "settled lease ids (+ window)", ids, retained(() -> {
                settle(engine, clock, request, ids);
                return engine;
            }));
        }
    }

    /** Heap retained by what {@code build} makes (measured after GC before and after, with it reachable). */
    private static long retained(Supplier<Object> build) {
        long before = usedAfterGc();
        sink = build.get();
        long after = usedAfterGc();
        sink = null;
        return after - before;
    }

    private static void settle(QuotaEngine engine, ManualClock clock, AcquireRequest request, int n) {
        for (int i = 0; i < n; i++) {
            Decision d = engine.acquire(request);
            if (!(d instanceof Decision.Admitted g)) {
                throw new IllegalStateException("refused: " + d);
            }
            engine.settle(new Settlement(g.lease().leaseId(), 1, Outcome.OK, Duration.ZERO, clock.instant()));
            if (i % 10 == 9) {
                clock.advance(Duration.ofMillis(1));
            }
        }
    }

    private static ManualClock clock() {
        return new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
    }

    private static Object sink;

    private static void report(int round, String what, int count, long bytes) {
        if (round > 0) {
            System.out.printf("%-32s %10d %12d%n", what, count, bytes / count);
        }
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }
}
