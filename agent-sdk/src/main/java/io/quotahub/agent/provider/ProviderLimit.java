package io.quotahub.agent.provider;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One limit a provider described in its answer, e.g. from OpenAI's
 * {@code x-ratelimit-limit-requests: 200}, {@code x-ratelimit-remaining-requests: 0},
 * {@code x-ratelimit-reset-requests: 6m0s}. Each figure is absent when the provider did not send it
 * (or sent something unreadable).
 *
 * @param kind       which limit
 * @param limit      the provider's limit for its window, {@code >= 0}
 * @param remaining  what the provider says is left in the window, {@code >= 0}
 * @param resetAfter when the window has room again, from the answer's arrival, {@code >= 0}
 */
public record ProviderLimit(LimitKind kind, OptionalLong limit, OptionalLong remaining, Optional<Duration> resetAfter) {

    /**
     * Validates the figures.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a figure is negative
     */
    public ProviderLimit {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(limit, "limit");
        Objects.requireNonNull(remaining, "remaining");
        Objects.requireNonNull(resetAfter, "resetAfter");
        if (limit.isPresent() && limit.getAsLong() < 0) {
            throw new IllegalArgumentException("limit must be >= 0, was " + limit.getAsLong());
        }
        if (remaining.isPresent() && remaining.getAsLong() < 0) {
            throw new IllegalArgumentException("remaining must be >= 0, was " + remaining.getAsLong());
        }
        if (resetAfter.isPresent() && resetAfter.get().isNegative()) {
            throw new IllegalArgumentException("resetAfter must be >= 0, was " + resetAfter.get());
        }
    }

    /**
     * A limit from nullable figures (null = not sent).
     *
     * @param kind       which limit
     * @param limit      the limit, or null
     * @param remaining  what is left, or null
     * @param resetAfter when the window has room again, or null
     * @return the limit
     * @throws NullPointerException     if {@code kind} is null
     * @throws IllegalArgumentException if a figure is negative
     */
    public static ProviderLimit of(LimitKind kind, Long limit, Long remaining, Duration resetAfter) {
        return new ProviderLimit(kind, limit == null ? OptionalLong.empty() : OptionalLong.of(limit),
                remaining == null ? OptionalLong.empty() : OptionalLong.of(remaining), Optional.ofNullable(resetAfter));
    }

    /**
     * Whether the provider said nothing is left in this window.
     *
     * @return true if {@code remaining} is 0
     */
    public boolean isExhausted() {
        return remaining.isPresent() && remaining.getAsLong() == 0;
    }
}
