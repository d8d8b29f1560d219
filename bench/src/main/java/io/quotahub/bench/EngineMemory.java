package io.quotahub.bench;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.ManualClock;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's heap per key, and per remembered settled lease id, without JOL: heap used (after
 * GC, {@link MemoryMXBean}) with the engine built minus before, divided by the count. Keys are
 * those of {@link EngineDecisionBenchmark} (one {@code requests} limit each), in one pool and in
 * pools of 100. Run: {@code java -cp bench/target/bench.jar io.quotahub.bench.EngineMemory}
 * (best with {@code -XX:+UseSerialGC}, so that a GC leaves only live objects).
 */
public final class EngineMemory {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private EngineMemory() {
    }

    public static void main(String[] args) {
        System.out.printf("%-32s %10s %12s%n", "engine", "count", "bytes/each");
        for (int round = 0; round < 2; round++) { // the first round also warms up class loading
            for (int keys : new int[] {1_000, 10_000}) {
                long before = usedAfterGc();
                sink = new QuotaEngine(EngineConfig.builder("main")
                        .pools(List.of(EngineDecisionBenchmark.pool("bench", keys))).build(), clock(), null);
                long after = usedAfterGc();
                sink = null;
                report(round, keys + " keys, one pool", keys, after - before);
                before = usedAfterGc();
                List<PoolSpec> pools = new ArrayList<>();
                for (int p = 0; p < keys / EngineDecisionBenchmark.POOL_SIZE; p++) {
                    pools.add(EngineDecisionBenchmark.pool("p" + p, EngineDecisionBenchmark.POOL_SIZE));
                }
                sink = new QuotaEngine(EngineConfig.builder("main").pools(pools).build(), clock(), null);
                after = usedAfterGc();
                sink = null;
                report(round, keys + " keys, pools of 100", keys, after - before);
            }
            int ids = 100_000;
            ManualClock clock = clock();
            QuotaEngine engine = EngineDecisionBenchmark.newEngine(1, clock);
            sink = engine;
            AcquireRequest request = new AcquireRequest("bench", 1, Priority.NORMAL, "agent-1", "req-1");
            settle(engine, clock, request, 1_000); // the window's arrays grown for this rate
            long before = usedAfterGc();
            settle(engine, clock, request, ids);
            long after = usedAfterGc();
            // each settle also leaves one entry in the key's window (16 B: time, amount, slot), counted here
            sink = null;
            report(round, "settled lease ids (+ window)", ids, after - before);
        }
    }

    private static void settle(QuotaEngine engine, ManualClock clock, AcquireRequest request, int n) {
        for (int i = 0; i < n; i++) {
            Decision d = engine.acquire(request);
            if (!(d instanceof Decision.Granted g)) {
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
