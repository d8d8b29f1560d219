package io.quotahub.engine;

/** What a limit counts: calls, or tokens (token-weighted). */
public enum LimitKind {
    REQUESTS,
    TOKENS;

    /** Lower-case name used in configuration, JSON and metric tags. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
