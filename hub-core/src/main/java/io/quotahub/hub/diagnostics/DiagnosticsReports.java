package io.quotahub.hub.diagnostics;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Clock;

/**
 * What {@code GET /api/v1/diagnostics} answers: the level's report from the {@link ReportCache}
 * (a run of its checks at most once per {@code quotahub.diagnostics.cache-ttl}, 30 s, unless a
 * fresh one is asked for), with the latest results of the periodic {@link DependencyHealth} checks.
 */
@Singleton
public class DiagnosticsReports {

    private final ReportCache cache;
    private final DependencyHealth dependencies;

    @Inject
    public DiagnosticsReports(Diagnostics diagnostics, DependencyHealth dependencies, DiagnosticsSettings settings, Clock clock) {
        this.cache = new ReportCache(clock, settings.cacheTtl(), diagnostics::run);
        this.dependencies = dependencies;
    }

    /**
     * The level's report.
     *
     * @param fresh run the checks even if a report younger than the cache's time to live exists
     *              (a run already going on for the level is shared all the same)
     */
    public DiagnosticsReport report(DiagnosticLevel level, boolean fresh) {
        ReportCache.Answer answer = cache.get(level, fresh);
        return answer.report().answered(answer.cached(), dependencies.latest());
    }
}
