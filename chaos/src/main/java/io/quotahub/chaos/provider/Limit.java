package io.quotahub.chaos.provider;

import java.time.Duration;
import java.util.Objects;

/**
 * One provider limit of one key: at most {@code amount} requests (or tokens) in any interval
 * of length {@code per}.
 */
public record Limit(Kind kind, long amount, Duration per) {

    /** What a limit counts. */
    public enum Kind {
        REQUESTS, TOKENS;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Limit {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(per, "per");
        if (amount <= 0) {
            throw new IllegalArgumentException("limit amount must be > 0, was " + amount);
        }
        if (per.isZero() || per.isNegative()) {
            throw new IllegalArgumentException("limit per must be positive, was " + per);
        }
    }

    public static Limit requests(long amount, Duration per) {
        return new Limit(Kind.REQUESTS, amount, per);
    }

    public static Limit tokens(long amount, Duration per) {
        return new Limit(Kind.TOKENS, amount, per);
    }

    /** The cost of a call of {@code tokens} tokens under this limit. */
    long cost(long tokens) {
        return kind == Kind.REQUESTS ? 1 : tokens;
    }

    /** For reports, e.g. {@code requests 60/PT1M}. */
    public String label() {
        return kind.label() + " " + amount + "/" + per;
    }
}
