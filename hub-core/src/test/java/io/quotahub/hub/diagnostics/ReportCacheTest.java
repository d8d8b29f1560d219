package io.quotahub.hub.diagnostics;

import io.quotahub.testing.ManualClock;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The 30 s cache of diagnostics reports, on a manual clock. */
class ReportCacheTest {

    private static final Duration TTL = Duration.ofSeconds(30);
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T12:00:00Z"));
    private final AtomicInteger runs = new AtomicInteger();

    private DiagnosticsReport run(DiagnosticLevel level) {
        runs.incrementAndGet();
        return new DiagnosticsReport("main", level.name(), level.confidence(), clock.instant().toString(), false,
                new DiagnosticsReport.Summary(0, 0, 0, 0), List.of(), List.of());
    }

    @Test
    void aSecondRequestWithin30s_isAnsweredFromTheCacheWithTheFirstRunsTime() {
        ReportCache cache = new ReportCache(clock, TTL, this::run);

        ReportCache.Answer first = cache.get(DiagnosticLevel.CRITICAL, false);
        clock.advance(Duration.ofSeconds(29));
        ReportCache.Answer second = cache.get(DiagnosticLevel.CRITICAL, false);

        assertThat(first.cached()).isFalse();
        assertThat(second.cached()).isTrue();
        assertThat(second.report().takenAt()).isEqualTo("2026-12-07T12:00:00Z");
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void aRequest30sAfterTheRun_runsTheChecksAgain() {
        ReportCache cache = new ReportCache(clock, TTL, this::run);
        cache.get(DiagnosticLevel.BASIC, false);

        clock.advance(TTL);
        ReportCache.Answer again = cache.get(DiagnosticLevel.BASIC, false);

        assertThat(again.cached()).isFalse();
        assertThat(again.report().takenAt()).isEqualTo("2026-12-07T12:00:30Z");
        assertThat(runs.get()).isEqualTo(2);
    }

    @Test
    void eachLevelHasItsOwnReport_andFreshForcesARun() {
        ReportCache cache = new ReportCache(clock, TTL, this::run);
        cache.get(DiagnosticLevel.BASIC, false);

        ReportCache.Answer standard = cache.get(DiagnosticLevel.STANDARD, false);
        ReportCache.Answer fresh = cache.get(DiagnosticLevel.BASIC, true);

        assertThat(standard.cached()).as("another level's report does not answer for this one").isFalse();
        assertThat(standard.report().level()).isEqualTo("STANDARD");
        assertThat(fresh.cached()).isFalse();
        assertThat(runs.get()).isEqualTo(3);
        assertThat(cache.get(DiagnosticLevel.BASIC, false).cached()).as("the fresh run is cached in turn").isTrue();
    }

    @Test
    void aZeroTtl_runsEveryTime() {
        ReportCache cache = new ReportCache(clock, Duration.ZERO, this::run);
        cache.get(DiagnosticLevel.BASIC, false);
        assertThat(cache.get(DiagnosticLevel.BASIC, false).cached()).isFalse();
        assertThat(runs.get()).isEqualTo(2);
    }

    @Test
    void requestsDuringARun_shareItInsteadOfStartingTheirOwn() throws Exception {
        CountDownLatch inRun = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        ReportCache cache = new ReportCache(clock, TTL, level -> {
            inRun.countDown();
            try {
                finish.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return run(level);
        });

        CompletableFuture<ReportCache.Answer> first = CompletableFuture.supplyAsync(() -> cache.get(DiagnosticLevel.CRITICAL, false));
        assertThat(inRun.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<ReportCache.Answer> second = CompletableFuture.supplyAsync(() -> cache.get(DiagnosticLevel.CRITICAL, true));
        CompletableFuture<ReportCache.Answer> third = CompletableFuture.supplyAsync(() -> cache.get(DiagnosticLevel.CRITICAL, false));
        Awaitility.await("both to wait for the run").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                .until(() -> !second.isDone() && !third.isDone());
        finish.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS).report()).isSameAs(second.get(10, TimeUnit.SECONDS).report())
                .isSameAs(third.get(10, TimeUnit.SECONDS).report());
        assertThat(runs.get()).as("one run for the three requests").isEqualTo(1);
    }

    @Test
    void aRunThatThrows_failsItsRequestAndTheNextOneRunsAgain() {
        AtomicInteger calls = new AtomicInteger();
        ReportCache cache = new ReportCache(clock, TTL, level -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("boom");
            }
            return run(level);
        });

        assertThatThrownBy(() -> cache.get(DiagnosticLevel.BASIC, false)).isInstanceOf(IllegalStateException.class);
        assertThat(cache.get(DiagnosticLevel.BASIC, false).cached()).isFalse();
        assertThat(calls.get()).isEqualTo(2);
    }
}
