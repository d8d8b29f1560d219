package io.quotahub.hub.api;

import io.micronaut.security.annotation.Secured;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.quotahub.hub.diagnostics.DiagnosticLevel;
import io.quotahub.hub.diagnostics.Diagnostics;

import java.util.Arrays;
import java.util.Optional;

/**
 * {@code GET /api/v1/diagnostics?level=BASIC|STANDARD|ADVANCED|CRITICAL} (default STANDARD):
 * runs 4, 6, 9 or 12 checks (docs/operations.md, "Diagnostics"). The checks make blocking NATS calls and time a
 * burst of decisions, so they run off the event loop.
 */
@Secured("VIEWER")
@Controller("/api/v1")
public class DiagnosticsController {

    private final Diagnostics diagnostics;

    public DiagnosticsController(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    @Get(uri = "/diagnostics", produces = MediaType.APPLICATION_JSON)
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<?> diagnostics(@Nullable @QueryValue("level") String level) {
        Optional<DiagnosticLevel> parsed = level == null ? Optional.of(DiagnosticLevel.STANDARD) : DiagnosticLevel.parse(level);
        if (parsed.isEmpty()) {
            return ApiError.badRequest("level must be one of " + Arrays.toString(DiagnosticLevel.values())
                    + " (BASIC runs 4 checks, STANDARD 6, ADVANCED 9, CRITICAL 12), was "
                    + (level.matches("[A-Za-z_]{1,20}") ? "'" + level + "'" : "something else"));
        }
        return HttpResponse.ok(diagnostics.run(parsed.get()));
    }
}
