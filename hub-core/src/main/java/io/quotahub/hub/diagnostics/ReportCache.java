package io.quotahub.hub.diagnostics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Each level's latest report for a time to live on the hub's clock, and one run at a time per
 * level: a request within the time to live gets the cached report; one after it (or asking for a
 * fresh run) runs the checks, and requests that come while a run is going share that run instead
 * of starting their own. So a dashboard left open on Diagnostics costs one run per level per time
 * to live, not one per poll (the performance baseline alone keeps a core busy while it runs).
 */
final class ReportCache {

    /** A report and whether it came from the cache. */
    record Answer(DiagnosticsReport report, boolean cached) {
    }

    private record Taken(DiagnosticsReport report, Instant at) {
    }

    private final Clock clock;
    private final Duration ttl;
    private final Function<DiagnosticLevel, DiagnosticsReport> run;
    private final Map<DiagnosticLevel, Taken> latest = new EnumMap<>(DiagnosticLevel.class);
    private final Map<DiagnosticLevel, CompletableFuture<DiagnosticsReport>> running = new EnumMap<>(DiagnosticLevel.class);

    ReportCache(Clock clock, Duration ttl, Function<DiagnosticLevel, DiagnosticsReport> run) {
        this.clock = clock;
        this.ttl = ttl;
        this.run = run;
    }

    /**
     * The level's report: the cached one if younger than the time to live and {@code fresh} is
     * false, else the run going on for this level, else a new run on this thread.
     */
    Answer get(DiagnosticLevel level, boolean fresh) {
        CompletableFuture<DiagnosticsReport> shared;
        boolean mine = false;
        synchronized (this) {
            Taken taken = latest.get(level);
            if (!fresh && taken != null && Duration.between(taken.at(), clock.instant()).compareTo(ttl) < 0) {
                return new Answer(taken.report(), true);
            }
            shared = running.get(level);
            if (shared == null) {
                shared = new CompletableFuture<>();
                running.put(level, shared);
                mine = true;
            }
        }
        if (mine) {
            try {
                DiagnosticsReport report = run.apply(level);
                synchronized (this) {
                    latest.put(level, new Taken(report, clock.instant()));
                    running.remove(level);
                }
                shared.complete(report);
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    running.remove(level);
                }
                shared.completeExceptionally(e);
                throw e;
            }
        }
        return new Answer(shared.join(), false);
    }
}
