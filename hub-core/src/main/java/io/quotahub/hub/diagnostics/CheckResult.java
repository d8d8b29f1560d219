package io.quotahub.hub.diagnostics;

import java.util.Objects;

/**
 * What one check found: a verdict, what was found (a concrete sentence or a few) and what to do.
 */
public record CheckResult(CheckStatus status, String detail, String recommendation) {

    public CheckResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(recommendation, "recommendation");
    }

    public static CheckResult pass(String detail, String recommendation) {
        return new CheckResult(CheckStatus.PASS, detail, recommendation);
    }

    public static CheckResult warn(String detail, String recommendation) {
        return new CheckResult(CheckStatus.WARN, detail, recommendation);
    }

    public static CheckResult fail(String detail, String recommendation) {
        return new CheckResult(CheckStatus.FAIL, detail, recommendation);
    }
}
