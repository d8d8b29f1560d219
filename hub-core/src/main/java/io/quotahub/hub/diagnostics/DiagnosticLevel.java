package io.quotahub.hub.diagnostics;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How many checks a run includes: the first {@link #checks()} of the registry's order. */
public enum DiagnosticLevel {
    BASIC(4),
    STANDARD(6),
    ADVANCED(9),
    CRITICAL(12);

    private final int checks;

    DiagnosticLevel(int checks) {
        this.checks = checks;
    }

    public int checks() {
        return checks;
    }

    /** Case-insensitive; empty for an unknown name. */
    public static Optional<DiagnosticLevel> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String wanted = text.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(l -> l.name().equals(wanted)).findFirst();
    }
}
