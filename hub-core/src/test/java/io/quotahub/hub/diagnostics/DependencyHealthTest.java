package io.quotahub.hub.diagnostics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quotahub.hub.metrics.MetricNames;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The periodic health checks of the hub's dependencies, on a manual clock. */
class DependencyHealthTest {

    private static final Duration EVERY = Duration.ofSeconds(30);
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T12:00:00Z"));
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicBoolean ready = new AtomicBoolean(true);

    /** A check that answers what the test sets and counts its runs. */
    private static final class Scripted implements DiagnosticCheck {
        final String name;
        final AtomicReference<CheckResult> next = new AtomicReference<>(CheckResult.pass("fine", "No action needed"));
        final AtomicInteger runs = new AtomicInteger();

        Scripted(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String title() {
            return "Title of " + name;
        }

        @Override
        public CheckResult run() {
            runs.incrementAndGet();
            return next.get();
        }
    }

    private final Scripted storage = new Scripted("storage");
    private final Scripted peer = new Scripted("network-peer");

    private DependencyHealth health() {
        return new DependencyHealth("main", List.of(peer, storage), clock, EVERY, ready::get,
                text -> text.replace("sk-secret-1234", "…1234"), registry);
    }

    private double gauge(String check) {
        return registry.get(MetricNames.DIAGNOSTICS_CHECK_STATUS).tags("hub", "main", "check", check).gauge().value();
    }

    @Test
    void everyCheckHasItsGaugeFromTheStart_NaNUntilItsFirstRun() {
        DependencyHealth health = health();

        assertThat(gauge("storage")).isNaN();
        assertThat(gauge("network-peer")).isNaN();
        assertThat(health.latest()).extracting(DiagnosticsReport.Dependency::status).containsExactly("PENDING", "PENDING");
    }

    @Test
    void runsAtOnce_thenOnlyEvery30sOnTheClock() {
        DependencyHealth health = health();

        assertThat(health.runIfDue()).isTrue();
        clock.advance(Duration.ofSeconds(29));
        assertThat(health.runIfDue()).isFalse();
        assertThat(storage.runs.get()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        assertThat(health.runIfDue()).isTrue();
        assertThat(storage.runs.get()).isEqualTo(2);
        assertThat(peer.runs.get()).isEqualTo(2);
        assertThat(health.latest()).extracting(DiagnosticsReport.Dependency::checkedAt)
                .containsOnly("2026-12-07T12:00:30Z");
    }

    @Test
    void theLatestResultsGoToTheReportAndTheGauge_redacted() {
        DependencyHealth health = health();
        storage.next.set(CheckResult.fail("JetStream is unreachable with sk-secret-1234", "Restart nats-server"));
        peer.next.set(CheckResult.warn("Peer edge is SUSPECT", "Check the peer"));

        health.runIfDue();

        assertThat(gauge("storage")).isEqualTo(2.0);
        assertThat(gauge("network-peer")).isEqualTo(1.0);
        DiagnosticsReport.Dependency s = health.latest().get(1);
        assertThat(s.name()).isEqualTo("storage");
        assertThat(s.title()).isEqualTo("Title of storage");
        assertThat(s.status()).isEqualTo("FAIL");
        assertThat(s.detail()).isEqualTo("JetStream is unreachable with …1234");
        assertThat(s.recommendation()).isEqualTo("Restart nats-server");

        storage.next.set(CheckResult.pass("fine again", "No action needed"));
        clock.advance(EVERY);
        health.runIfDue();
        assertThat(gauge("storage")).isEqualTo(0.0);
    }

    @Test
    void aCheckThatThrows_isAFail_andTheOthersStillRun() {
        DiagnosticCheck crashing = new DiagnosticCheck() {
            @Override
            public String name() {
                return "snapshot-store";
            }

            @Override
            public String title() {
                return "Snapshot store";
            }

            @Override
            public CheckResult run() {
                throw new IllegalStateException("boom");
            }
        };
        DependencyHealth health = new DependencyHealth("main", List.of(crashing, storage), clock, EVERY, ready::get, t -> t, registry);

        health.runIfDue();

        assertThat(gauge("snapshot-store")).isEqualTo(2.0);
        assertThat(gauge("storage")).isEqualTo(0.0);
        assertThat(health.latest().get(0).detail()).contains("IllegalStateException");
    }

    @Test
    void runsOnceMoreAsSoonAsTheHubBecomesReady() {
        ready.set(false);
        DependencyHealth health = health();
        storage.next.set(CheckResult.fail("not connected yet", "Wait"));
        health.runIfDue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(health.runIfDue()).as("not ready yet: nothing new to see").isFalse();

        ready.set(true);
        storage.next.set(CheckResult.pass("fine", "No action needed"));
        assertThat(health.runIfDue()).isTrue();
        assertThat(gauge("storage")).isEqualTo(0.0);
        clock.advance(Duration.ofSeconds(1));
        assertThat(health.runIfDue()).as("then back to every 30 s").isFalse();
    }
}
