package io.quotahub.hub.diagnostics;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How many checks a run includes — the first {@link #checks()} of the registry's order — and the
 * confidence the plans attach to its verdict: the more of the 12 checks run, the surer a clean
 * report is that nothing is wrong (BASIC 80 %, STANDARD 90 %, ADVANCED 95 %, CRITICAL 99.9 %).
 */
public enum DiagnosticLevel {
    BASIC(4, 0.80),
    STANDARD(6, 0.90),
    ADVANCED(9, 0.95),
    CRITICAL(12, 0.999);

    private final int checks;
    private final double confidence;

    DiagnosticLevel(int checks, double confidence) {
        this.checks = checks;
        this.confidence = confidence;
    }

    public int checks() {
        return checks;
    }

    /** The confidence of a run at this level, 0–1 (0.95 is 95 %). */
    public double confidence() {
        return confidence;
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
