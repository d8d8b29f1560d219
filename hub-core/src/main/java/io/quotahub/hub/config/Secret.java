package io.quotahub.hub.config;

import java.util.Objects;

/**
 * An API key's secret. {@link #toString()} shows at most its last four characters, so a secret
 * that slips into a log line or an error message stays unreadable; only {@link #reveal()}
 * gives the value, and only the lease reply calls it.
 */
public final class Secret {

    private final String value;

    public Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("secret is empty");
        }
    }

    public String reveal() {
        return value;
    }

    /** The masked form, e.g. {@code …abcd}. */
    public String masked() {
        return value.length() <= 8 ? "…" : "…" + value.substring(value.length() - 4);
    }

    @Override
    public String toString() {
        return masked();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
