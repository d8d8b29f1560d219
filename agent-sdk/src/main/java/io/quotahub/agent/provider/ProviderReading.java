package io.quotahub.agent.provider;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a provider's answer said, read by a {@link ProviderAdapter}: how the call went, how long to
 * wait, the tokens the provider counted and what it said about the key's limits.
 *
 * @param outcome        how the call went
 * @param transientError with {@link ProviderOutcome#ERROR}: whether a retry may succeed (5xx,
 *                       overloaded); false otherwise
 * @param retryAfter     with {@link ProviderOutcome#RATE_LIMITED}: the wait the provider asked for,
 *                       empty when it gave none
 * @param tokensUsed     the tokens the provider counted for the call (from the body's usage), empty
 *                       when it did not say
 * @param report         the limits and quota id the answer described
 */
public record ProviderReading(ProviderOutcome outcome, boolean transientError, Optional<Duration> retryAfter,
        OptionalLong tokensUsed, ProviderReport report) {

    /**
     * Validates.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code retryAfter} or {@code tokensUsed} is negative, or
     *                                  {@code transientError} is set on an outcome other than ERROR
     */
    public ProviderReading {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(tokensUsed, "tokensUsed");
        Objects.requireNonNull(report, "report");
        if (retryAfter.isPresent() && retryAfter.get().isNegative()) {
            throw new IllegalArgumentException("retryAfter must be >= 0, was " + retryAfter.get());
        }
        if (tokensUsed.isPresent() && tokensUsed.getAsLong() < 0) {
            throw new IllegalArgumentException("tokensUsed must be >= 0, was " + tokensUsed.getAsLong());
        }
        if (transientError && outcome != ProviderOutcome.ERROR) {
            throw new IllegalArgumentException("only an ERROR is transient, not " + outcome);
        }
    }

    /**
     * A success.
     *
     * @param tokensUsed the tokens the provider counted, or null if it did not say
     * @param report     what it said about the limits
     * @return the reading
     */
    public static ProviderReading ok(Long tokensUsed, ProviderReport report) {
        return new ProviderReading(ProviderOutcome.OK, false, Optional.empty(),
                tokensUsed == null ? OptionalLong.empty() : OptionalLong.of(tokensUsed), report);
    }

    /**
     * A rate-limit refusal.
     *
     * @param retryAfter the provider's wait, or null if it gave none
     * @param report     what it said about the limits
     * @return the reading
     */
    public static ProviderReading rateLimited(Duration retryAfter, ProviderReport report) {
        return new ProviderReading(ProviderOutcome.RATE_LIMITED, false, Optional.ofNullable(retryAfter),
                OptionalLong.empty(), report);
    }

    /**
     * The key was rejected.
     *
     * @param report what the provider said about the limits
     * @return the reading
     */
    public static ProviderReading authFailed(ProviderReport report) {
        return new ProviderReading(ProviderOutcome.AUTH_FAILED, false, Optional.empty(), OptionalLong.empty(), report);
    }

    /**
     * Another failure.
     *
     * @param transientError whether a retry may succeed
     * @param report         what the provider said about the limits
     * @return the reading
     */
    public static ProviderReading error(boolean transientError, ProviderReport report) {
        return new ProviderReading(ProviderOutcome.ERROR, transientError, Optional.empty(), OptionalLong.empty(),
                report);
    }
}
