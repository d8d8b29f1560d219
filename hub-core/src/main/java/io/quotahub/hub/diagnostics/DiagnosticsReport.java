package io.quotahub.hub.diagnostics;

import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/** The answer of {@code GET /api/v1/diagnostics}. */
@Serdeable
public record DiagnosticsReport(String hubId, String level, String at, Summary summary, List<Check> checks) {

    public DiagnosticsReport {
        checks = List.copyOf(checks);
    }

    @Serdeable
    public record Summary(int run, int passed, int warned, int failed) {
    }

    @Serdeable
    public record Check(String name, String title, String status, String detail, String recommendation) {
    }
}
