package io.quotahub.hub.diagnostics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.metrics.MetricNames;
import io.quotahub.hub.snapshot.Snapshots;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * The periodic health checks of the hub's own dependencies — the NATS connection and the peer
 * ({@code network-peer}), the ledger ({@code storage}), the snapshot store ({@code snapshot-store}) —
 * run on their own every {@code quotahub.diagnostics.health-interval} (30 s), not only when someone
 * asks: their latest results go into every diagnostics report and into the gauge
 * {@code quotahub_diagnostics_check_status{check}} (0 PASS, 1 WARN, 2 FAIL, NaN before the first
 * run), which alert {@code QuotaHubDiagnosticsWarning} watches. One more run follows as soon as the
 * hub becomes ready, so the start-up's "not connected yet" does not linger for a whole interval.
 *
 * <p>Whether a run is due is decided on the hub's clock ({@link #runIfDue()}); a daemon thread
 * {@code qh-diagnostics-health} asks every second.
 */
@Singleton
public class DependencyHealth implements AutoCloseable {

    /** The gauge's tag naming the check. */
    static final String TAG_CHECK = "check";
    private static final Duration TICK = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(DependencyHealth.class);

    private record Latest(CheckResult result, Instant at) {
    }

    private final List<DiagnosticCheck> checks;
    private final Clock clock;
    private final Duration interval;
    private final BooleanSupplier hubReady;
    private final UnaryOperator<String> clean;
    private final Map<String, Latest> latest = new ConcurrentHashMap<>();
    private Instant lastRun;
    private boolean ranWhileReady;
    private ScheduledExecutorService ticker;

    @Inject
    public DependencyHealth(Diagnostics diagnostics, HubRuntime runtime, HubSettings settings, DiagnosticsSettings thresholds,
                            Clock clock, MeterRegistry registry) {
        this(settings.hubId(), List.of(
                        byName(diagnostics, "network-peer"),
                        byName(diagnostics, "storage"),
                        new SnapshotStoreCheck(runtime::connection, () -> {
                            Snapshots s = runtime.snapshots();
                            return s == null ? null : s.latest();
                        }, settings, clock, thresholds.natsTimeout())),
                clock, thresholds.healthInterval(), runtime::ready, diagnostics::clean, registry);
    }

    /** Periodic checks of the caller's (tests); registers one gauge per check. */
    DependencyHealth(String hubId, List<DiagnosticCheck> checks, Clock clock, Duration interval, BooleanSupplier hubReady,
                     UnaryOperator<String> clean, MeterRegistry registry) {
        this.checks = List.copyOf(checks);
        this.clock = clock;
        this.interval = interval;
        this.hubReady = hubReady;
        this.clean = clean;
        for (DiagnosticCheck check : this.checks) {
            Gauge.builder(MetricNames.DIAGNOSTICS_CHECK_STATUS, this, h -> h.statusValue(check.name()))
                    .description("Latest result of a periodic diagnostics check: 0 PASS, 1 WARN, 2 FAIL (NaN before its first run)")
                    .tags(MetricNames.TAG_HUB, hubId, TAG_CHECK, check.name())
                    .strongReference(true)
                    .register(registry);
        }
    }

    private static DiagnosticCheck byName(Diagnostics diagnostics, String name) {
        return diagnostics.checks().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no diagnostic check named " + name));
    }

    @EventListener
    void onStartup(StartupEvent event) {
        start();
    }

    /** Starts asking {@link #runIfDue()} every second. */
    synchronized void start() {
        if (ticker != null) {
            return;
        }
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qh-diagnostics-health");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::runIfDueQuietly, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Runs every periodic check if none ran yet, the interval has passed since the last run, or the
     * hub became ready since.
     *
     * @return whether they ran
     */
    boolean runIfDue() {
        boolean ready = hubReady.getAsBoolean();
        Instant now = clock.instant();
        synchronized (this) {
            boolean due = lastRun == null || Duration.between(lastRun, now).compareTo(interval) >= 0 || (ready && !ranWhileReady);
            if (!due) {
                return false;
            }
            lastRun = now;
            ranWhileReady |= ready;
        }
        for (DiagnosticCheck check : checks) {
            latest.put(check.name(), new Latest(Diagnostics.runOne(check), clock.instant()));
        }
        return true;
    }

    private void runIfDueQuietly() {
        try {
            runIfDue();
        } catch (RuntimeException e) {
            // a check that throws is already a FAIL: this keeps the schedule alive whatever else happens
            LOG.warn("periodic diagnostics run failed: {}", e.getClass().getName());
        }
    }

    /** The latest result of each periodic check, in their order; PENDING before its first run. */
    public List<DiagnosticsReport.Dependency> latest() {
        return checks.stream().map(c -> {
            Latest l = latest.get(c.name());
            if (l == null) {
                return new DiagnosticsReport.Dependency(c.name(), c.title(), "PENDING", "Not run yet: the first run is due at start-up",
                        "Wait a moment and ask again", null);
            }
            return new DiagnosticsReport.Dependency(c.name(), c.title(), l.result().status().name(), clean.apply(l.result().detail()),
                    clean.apply(l.result().recommendation()), l.at().toString());
        }).toList();
    }

    /** The gauge's value: 0 PASS, 1 WARN, 2 FAIL, NaN before the first run. */
    double statusValue(String check) {
        Latest l = latest.get(check);
        return l == null ? Double.NaN : l.result().status().ordinal();
    }

    @PreDestroy
    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }
}
