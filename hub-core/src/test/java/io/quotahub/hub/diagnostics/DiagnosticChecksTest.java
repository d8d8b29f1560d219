package io.quotahub.hub.diagnostics;

import io.quotahub.hub.config.PoolsDigest;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.config.PoolsConfig;
import org.junit.jupiter.api.Test;

import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks whose real cause is provoked through an injected input: an engine fed an inconsistent transfer, heap readings, a slow clock. */
class DiagnosticChecksTest {

    private static final PoolSpec POOL = new PoolSpec("demo",
            List.of(new KeySpec("k1", List.of(LimitSpec.requests(100, Duration.ofHours(1))), 0)), List.of(), 0, Preset.STANDARD);

    private static PoolsConfig pools() {
        return new PoolsConfig(List.of(POOL), Map.of(), List.of(), Set.of());
    }

    @Test
    void rateLimiterFailsWhenAnInconsistentTransferDrivesABudgetNegative() {
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(POOL))
                .budgetShares(Map.of("main", 0.5, "edge", 0.5)).build(), Clock.systemUTC(), EngineListener.NONE);
        RateLimiterCheck check = new RateLimiterCheck(engine, pools());
        assertThat(check.run().status()).isEqualTo(CheckStatus.PASS);

        // main "gives" 80 units of a 50-unit budget: a Transfer no correct hub could have written
        engine.applyTransfer("bogus-transfer", "main", "edge", Map.of(LimitRef.ofKey("demo", "k1", 0), 80L));
        CheckResult result = check.run();

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.detail()).contains("Hub main has a negative budget (-30) on demo/k1#0");
        assertThat(result.recommendation()).contains("rebalancing restores budgets");
    }

    @Test
    void rateLimiterWarnsForAKeyWithoutAnyLimit() {
        PoolSpec unlimited = new PoolSpec("open", List.of(new KeySpec("u1", List.of(), 0)), List.of(), 0, Preset.STANDARD);
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(unlimited)).build(), Clock.systemUTC(), EngineListener.NONE);
        CheckResult result = new RateLimiterCheck(engine, new PoolsConfig(List.of(unlimited), Map.of(), List.of(), Set.of())).run();
        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(result.detail()).contains("Key u1 of pool open has no limit");
    }

    @Test
    void rateLimiterWarnsForAKeyOnlyWatchedLimitsProtect_andNotesShadowAndCanary() {
        LimitSpec shadow = LimitSpec.requests(10, Duration.ofMinutes(1)).withEnforcement(io.quotahub.engine.Enforcement.SHADOW);
        PoolSpec watchedOnly = new PoolSpec("watched", List.of(new KeySpec("w1", List.of(shadow), 0)), List.of(), 0, Preset.STANDARD);
        PoolSpec stricter = new PoolSpec("stricter", List.of(new KeySpec("s1",
                List.of(LimitSpec.requests(100, Duration.ofMinutes(1)), shadow), 0)), List.of(), 0, Preset.STANDARD);
        PoolSpec canary = new PoolSpec("canary", List.of(new KeySpec("c1", List.of(LimitSpec.requests(100, Duration.ofMinutes(1))), 0)),
                List.of(), 0, Preset.STANDARD, io.quotahub.engine.PoolPolicy.ofDefaults(), false,
                io.quotahub.engine.Enforcement.canary(10), List.of());
        List<PoolSpec> all = List.of(watchedOnly, stricter, canary);
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(all).build(), Clock.systemUTC(), EngineListener.NONE);

        CheckResult result = new RateLimiterCheck(engine, new PoolsConfig(all, Map.of(), List.of(), Set.of())).run();

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(result.detail()).contains("Key w1 of pool watched has no limit enforced for every agent")
                .doesNotContain("Key s1").doesNotContain("Key c1")
                .contains("Pool canary is in mode canary 10%").contains("Pool stricter watches 1 limit in shadow or canary mode");
    }

    @Test
    void memoryWarnsAbove80AndFailsAbove90PercentOfTheHeap() {
        AtomicLong used = new AtomicLong(100);
        MemoryCheck check = new MemoryCheck(() -> new MemoryUsage(0, used.get(), 1000, 1000), 0.8, 0.9);
        assertThat(check.run().status()).isEqualTo(CheckStatus.PASS);

        used.set(850);
        CheckResult warn = check.run();
        assertThat(warn.status()).isEqualTo(CheckStatus.WARN);
        assertThat(warn.detail()).contains("85.0 %");

        used.set(950);
        CheckResult fail = check.run();
        assertThat(fail.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(fail.detail()).contains("95.0 %").contains("OutOfMemoryError");
        assertThat(fail.recommendation()).contains("-Xmx");
    }

    @Test
    void memoryUsesTheRealHeapByDefault() {
        CheckResult real = new MemoryCheck(MemoryCheck.jvmHeap(), 0.8, 0.9).run();
        assertThat(real.detail()).contains("MiB used of");
    }

    @Test
    void performanceBaselineWarnsAndFailsWhenDecisionsAreSlowAndNeverTouchesTheRealEngine() {
        AtomicLong now = new AtomicLong();
        AtomicLong step = new AtomicLong(1_000_000); // each tick advances 1 ms: every decision "takes" 1 ms
        PerformanceBaselineCheck slow = new PerformanceBaselineCheck(List.of(POOL), Clock.systemUTC(),
                () -> now.addAndGet(step.get()), 200, Duration.ofMillis(1).minusNanos(1), Duration.ofMillis(10));
        CheckResult warn = slow.run();
        assertThat(warn.status()).isEqualTo(CheckStatus.WARN);
        assertThat(warn.detail()).contains("p99 1.000 ms").contains("200 decisions");

        step.set(20_000_000);
        CheckResult fail = slow.run();
        assertThat(fail.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(fail.detail()).contains("p99 20.000 ms");

        CheckResult real = new PerformanceBaselineCheck(List.of(POOL), Clock.systemUTC(), System::nanoTime, 2000,
                Duration.ofMillis(50), Duration.ofMillis(100)).run();
        assertThat(real.status()).isEqualTo(CheckStatus.PASS);
        assertThat(real.detail()).contains("2000 decisions").contains("granted");
    }

    @Test
    void aCheckThatThrowsIsReportedAsFailAndTheOthersStillRun() {
        DiagnosticCheck boom = new DiagnosticCheck() {
            public String name() { return "boom"; }
            public String title() { return "Boom"; }
            public CheckResult run() { throw new IllegalStateException("kaputt"); }
        };
        DiagnosticCheck ok = new DiagnosticCheck() {
            public String name() { return "ok"; }
            public String title() { return "Ok"; }
            public CheckResult run() { return CheckResult.pass("fine", "none"); }
        };
        List<DiagnosticCheck> checks = new java.util.ArrayList<>(List.of(boom));
        for (int i = 1; i < 12; i++) {
            checks.add(ok);
        }
        DiagnosticsReport report = new Diagnostics("main", Clock.systemUTC(), pools(), checks).run(DiagnosticLevel.BASIC);
        assertThat(report.summary()).isEqualTo(new DiagnosticsReport.Summary(4, 3, 0, 1));
        assertThat(report.checks().get(0).status()).isEqualTo("FAIL");
        assertThat(report.checks().get(0).detail()).contains("IllegalStateException");
    }

    @Test
    void poolsDigestDependsOnIdsAndLimitsOnly() {
        PoolSpec other = new PoolSpec("demo",
                List.of(new KeySpec("k1", List.of(LimitSpec.requests(101, Duration.ofHours(1))), 0)), List.of(), 0, Preset.STANDARD);
        assertThat(PoolsDigest.of(List.of(POOL))).isEqualTo(PoolsDigest.of(List.of(POOL))).hasSize(12)
                .isNotEqualTo(PoolsDigest.of(List.of(other)));
    }

    @Test
    void poolsDigestTellsAPoolThatLearnsLimitsFromOneThatDoesNot() {
        PoolSpec learning = new PoolSpec(POOL.name(), POOL.keys(), POOL.limits(), 0, Preset.STANDARD, POOL.policy(), true);
        assertThat(PoolsDigest.of(List.of(learning))).isNotEqualTo(PoolsDigest.of(List.of(POOL)));
    }

    @Test
    void upstreamProvider_warnsOfAnObservedLowerLimitWithBothValues_andNotesUseOutsideQuotaHub() {
        io.quotahub.testing.ManualClock clock = new io.quotahub.testing.ManualClock(java.time.Instant.parse("2026-03-02T12:00:00Z"));
        io.quotahub.engine.QuotaEngine engine = new io.quotahub.engine.QuotaEngine(io.quotahub.engine.EngineConfig.builder("main")
                .pools(List.of(POOL)).build(), clock, null);
        engine.observeProvider("demo", "k1", List.of(new io.quotahub.engine.ReportedLimit(
                io.quotahub.engine.ReportedLimit.Kind.REQUESTS, 60L, 10L, 1_800_000L)));

        CheckResult r = new UpstreamProviderCheck(engine, clock).run();

        assertThat(r.status()).isEqualTo(CheckStatus.WARN);
        assertThat(r.detail()).contains("Key k1 of pool demo: the provider reports a requests limit of 60 per PT1H where 100 is configured")
                .contains("unit(s) of use outside QuotaHub");
        assertThat(r.recommendation()).contains("learn-limits: true");
    }
}
