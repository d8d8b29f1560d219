package io.quotahub.hub.diagnostics;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Check 11: what one rate-limit decision costs here and now. Builds a private throwaway engine
 * from the same pool specs (never the hub's engine: no lease, no ledger, no metrics), warms it
 * up, then times a burst of acquire decisions (each grant settled at once) and reports p50/p99
 * against the thresholds (target: under 1 ms per check; docs/operations.md, "Diagnostics"). Ticker and thresholds are injectable.
 */
final class PerformanceBaselineCheck implements DiagnosticCheck {

    private static final int WARM_UP = 500;

    private final List<PoolSpec> pools;
    private final Clock clock;
    private final LongSupplier ticker;
    private final int decisions;
    private final Duration warn;
    private final Duration fail;

    PerformanceBaselineCheck(List<PoolSpec> pools, Clock clock, LongSupplier ticker, int decisions, Duration warn, Duration fail) {
        this.pools = pools;
        this.clock = clock;
        this.ticker = ticker;
        this.decisions = Math.max(10, decisions);
        this.warn = warn;
        this.fail = fail;
    }

    @Override
    public String name() {
        return "performance-baseline";
    }

    @Override
    public String title() {
        return "Performance baseline";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        List<PoolSpec> usable = pools.stream().filter(p -> !p.keys().isEmpty()).toList();
        if (usable.isEmpty()) {
            f.warn("No pool with a usable key, so no decision could be timed", "Fix the key configuration first (see the key-configuration check)");
            return f.result("");
        }
        QuotaEngine warmUp = scratch(usable);
        for (int i = 0; i < WARM_UP; i++) {
            decide(warmUp, usable.get(i % usable.size()).name(), i);
        }
        QuotaEngine scratch = scratch(usable); // fresh: the warm-up used up its capacity
        long[] nanos = new long[decisions];
        long granted = 0;
        for (int i = 0; i < decisions; i++) {
            String pool = usable.get(i % usable.size()).name();
            long t0 = ticker.getAsLong();
            Decision d = scratch.acquire(new AcquireRequest(pool, 1, Priority.NORMAL, "diagnostics", "b" + i));
            nanos[i] = ticker.getAsLong() - t0;
            if (d instanceof Decision.Admitted g) {
                granted++;
                scratch.settle(new Settlement(g.lease().leaseId(), 1, Outcome.OK, Duration.ZERO, clock.instant()));
            }
        }
        Arrays.sort(nanos);
        long p50 = nanos[(int) Math.floor(0.50 * (decisions - 1))];
        long p99 = nanos[(int) Math.floor(0.99 * (decisions - 1))];
        String what = decisions + " decisions on a private copy of the " + usable.size() + " pool(s) (" + granted
                + " granted, the rest refused by the limits): p50 " + Findings.millis(p50) + ", p99 " + Findings.millis(p99);
        if (p99 > fail.toNanos()) {
            f.fail(what + ", above the " + Findings.millis(fail.toNanos()) + " limit",
                    "The machine is overloaded or the JVM is pausing: check CPU use, GC (the memory check) and other processes on the host");
        } else if (p99 > warn.toNanos()) {
            f.warn(what + ", above the " + Findings.millis(warn.toNanos()) + " target",
                    "Check CPU contention and GC pauses on the host; a decision should take well under 1 ms");
        } else {
            f.note(what);
        }
        return f.result("No action needed: decisions are well within the 1 ms target");
    }

    private QuotaEngine scratch(List<PoolSpec> usable) {
        return new QuotaEngine(EngineConfig.builder("diagnostics").pools(usable).build(), clock, EngineListener.NONE);
    }

    private void decide(QuotaEngine engine, String pool, int i) {
        Decision d = engine.acquire(new AcquireRequest(pool, 1, Priority.NORMAL, "diagnostics", "w" + i));
        if (d instanceof Decision.Admitted g) {
            engine.settle(new Settlement(g.lease().leaseId(), 1, Outcome.OK, Duration.ZERO, clock.instant()));
        }
    }
}
