package io.quotahub.hub.diagnostics;

import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/**
 * The answer of {@code GET /api/v1/diagnostics}.
 *
 * @param hubId        the hub that ran the checks
 * @param level        BASIC, STANDARD, ADVANCED or CRITICAL
 * @param confidence   the level's confidence, 0–1 ({@link DiagnosticLevel#confidence()})
 * @param takenAt      when the checks ran (ISO-8601)
 * @param cached       true when this is an earlier run's report, younger than the cache's time to live
 * @param summary      the counts of the checks' verdicts
 * @param checks       the level's checks, in registry order
 * @param dependencies the latest results of the periodic health checks of the hub's own dependencies
 *                     (they run on their own schedule, whatever the level; {@link DependencyHealth})
 */
@Serdeable
public record DiagnosticsReport(String hubId, String level, double confidence, String takenAt, boolean cached,
                                Summary summary, List<Check> checks, List<Dependency> dependencies) {

    public DiagnosticsReport {
        checks = List.copyOf(checks);
        dependencies = List.copyOf(dependencies);
    }

    /** This report as answered: from the cache or not, with the latest periodic results. */
    public DiagnosticsReport answered(boolean fromCache, List<Dependency> latest) {
        return new DiagnosticsReport(hubId, level, confidence, takenAt, fromCache, summary, checks, latest);
    }

    @Serdeable
    public record Summary(int run, int passed, int warned, int failed) {
    }

    @Serdeable
    public record Check(String name, String title, String status, String detail, String recommendation) {
    }

    /** A periodic check's latest result; {@code checkedAt} null and status PENDING until its first run. */
    @Serdeable
    public record Dependency(String name, String title, String status, String detail, String recommendation,
                             String checkedAt) {
    }
}
