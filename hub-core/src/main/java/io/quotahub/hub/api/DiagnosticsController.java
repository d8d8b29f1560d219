package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.quotahub.hub.diagnostics.DiagnosticLevel;
import io.quotahub.hub.diagnostics.DiagnosticsReports;
import io.quotahub.hub.security.Role;
import io.quotahub.hub.service.ErrorCode;

import java.util.Arrays;
import java.util.Optional;

/**
 * {@code GET /api/v1/diagnostics?level=BASIC|STANDARD|ADVANCED|CRITICAL[&fresh=true]} (default
 * STANDARD): the report of 4, 6, 9 or 12 checks (docs/operations.md, "Diagnostics"), from the cache
 * when a run of that level is younger than {@code quotahub.diagnostics.cache-ttl} (30 s);
 * {@code fresh=true} runs the checks now and needs an OPERATOR token, since each run costs CPU
 * (the performance baseline) and NATS calls that any VIEWER could otherwise repeat at will. The
 * checks make blocking NATS calls and time a burst of decisions, so they run off the event loop.
 */
@Secured("VIEWER")
@Controller("/api/v1")
public class DiagnosticsController {

    private final DiagnosticsReports reports;

    public DiagnosticsController(DiagnosticsReports reports) {
        this.reports = reports;
    }

    @Get(uri = "/diagnostics", produces = MediaType.APPLICATION_JSON)
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<?> diagnostics(@Nullable @QueryValue("level") String level, @Nullable @QueryValue("fresh") String fresh,
                                       @Nullable Authentication authentication) {
        Optional<DiagnosticLevel> parsed = level == null ? Optional.of(DiagnosticLevel.STANDARD) : DiagnosticLevel.parse(level);
        if (parsed.isEmpty()) {
            return ApiError.badRequest("level must be one of " + Arrays.toString(DiagnosticLevel.values())
                    + " (BASIC runs 4 checks, STANDARD 6, ADVANCED 9, CRITICAL 12), was " + quoted(level));
        }
        if (fresh != null && !fresh.equals("true") && !fresh.equals("false")) {
            return ApiError.badRequest("fresh must be true or false, was " + quoted(fresh));
        }
        boolean runNow = "true".equals(fresh);
        if (runNow && (authentication == null || !authentication.getRoles().contains(Role.OPERATOR.name()))) {
            return ApiError.response(ErrorCode.FORBIDDEN, "fresh=true needs an OPERATOR token; without it the report comes"
                    + " from the cache (at most quotahub.diagnostics.cache-ttl old, its takenAt says when it ran)");
        }
        return HttpResponse.ok(reports.report(parsed.get(), runNow));
    }

    /** The value in quotes only if it is a harmless word: a query value may be anything (a pasted secret). */
    private static String quoted(String value) {
        return value.matches("[A-Za-z_]{1,20}") ? "'" + value + "'" : "something else";
    }
}
