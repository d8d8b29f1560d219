package io.quotahub.hub.diagnostics;

import io.micronaut.context.env.Environment;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.NatsSettings;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.pools.PoolsSettings;
import io.quotahub.hub.security.BearerTokens;
import io.quotahub.hub.security.TokenSettings;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The registry of the 12 diagnostic checks, in the order levels cut them: BASIC runs the first
 * 4 (the fundamentals: keys, configuration, storage, the limiter), STANDARD 6 (+ thermal, quota),
 * ADVANCED 9 (+ provider, network/peer, data integrity), CRITICAL all 12 (+ memory, performance
 * baseline, security). Each check runs on its own: one that throws is reported as FAIL and the
 * others still run. All text passes through a redactor, so no secret can reach the report.
 */
@Singleton
public class Diagnostics {

    private static final Logger LOG = LoggerFactory.getLogger(Diagnostics.class);

    private final String hubId;
    private final List<DiagnosticCheck> checks;
    private final Redactor redactor;
    private final Clock clock;

    @Inject
    public Diagnostics(HubRuntime runtime, HubSettings settings, PoolsConfig pools, QuotaEngine engine, Clock clock,
                       Environment environment, DiagnosticsSettings thresholds, BearerTokens tokens,
                       List<TokenSettings> tokenSettings, NatsSettings natsSettings, PoolsSettings poolsSettings,
                       ConfigAgreement agreement) {
        this(settings.hubId(), clock, pools, List.of(
                new KeyConfigurationCheck(pools, engine),
                new EnvironmentCheck(settings, pools, agreement),
                new StorageCheck(runtime::connection, settings, thresholds.natsTimeout()),
                new RateLimiterCheck(engine, pools),
                new ThermalCheck(engine),
                new QuotaStatusCheck(engine),
                new UpstreamProviderCheck(engine, clock),
                new NetworkCheck(runtime::connection, runtime::replication, settings.peerId(), thresholds),
                new DataIntegrityCheck(runtime::connection, settings, runtime::replication, thresholds.natsTimeout()),
                new MemoryCheck(MemoryCheck.jvmHeap(), thresholds.memoryWarn(), thresholds.memoryFail()),
                new PerformanceBaselineCheck(pools.pools(), clock, System::nanoTime, thresholds.baselineDecisions(),
                        thresholds.baselineWarn(), thresholds.baselineFail()),
                new SecurityCheck(settings, natsSettings, environment, runtime::connection, pools.secrets().values(),
                        poolsSettings, tokens, tokenSettings)));
    }

    /** A registry of the given checks (tests); the production order is the constructor's above. */
    Diagnostics(String hubId, Clock clock, PoolsConfig pools, List<DiagnosticCheck> checks) {
        if (checks.size() != DiagnosticLevel.CRITICAL.checks()) {
            throw new IllegalArgumentException("the registry needs exactly " + DiagnosticLevel.CRITICAL.checks() + " checks, got " + checks.size());
        }
        this.hubId = hubId;
        this.clock = clock;
        this.checks = List.copyOf(checks);
        this.redactor = new Redactor(pools.secrets().values());
    }

    /** The checks in registry order. */
    public List<DiagnosticCheck> checks() {
        return checks;
    }

    /** Runs the first {@code level.checks()} checks, in order. */
    public DiagnosticsReport run(DiagnosticLevel level) {
        List<DiagnosticsReport.Check> out = new ArrayList<>();
        int passed = 0;
        int warned = 0;
        int failed = 0;
        for (DiagnosticCheck check : checks.subList(0, level.checks())) {
            CheckResult r = runOne(check);
            switch (r.status()) {
                case PASS -> passed++;
                case WARN -> warned++;
                case FAIL -> failed++;
            }
            out.add(new DiagnosticsReport.Check(check.name(), check.title(), r.status().name(),
                    redactor.clean(r.detail()), redactor.clean(r.recommendation())));
        }
        return new DiagnosticsReport(hubId, level.name(), level.confidence(), clock.instant().toString(), false,
                new DiagnosticsReport.Summary(out.size(), passed, warned, failed), out, List.of());
    }

    /** Removes any secret from a check's text. */
    String clean(String text) {
        return redactor.clean(text);
    }

    /** Runs one check; one that throws is a FAIL that says so. */
    static CheckResult runOne(DiagnosticCheck check) {
        try {
            return check.run();
        } catch (RuntimeException e) {
            LOG.warn("diagnostic check {} crashed: {}", check.name(), e.getClass().getName());
            return CheckResult.fail("The check itself failed with " + e.getClass().getSimpleName() + ", so its subject could not be examined",
                    "Look at the hub's log for the error and run diagnostics again");
        }
    }
}
