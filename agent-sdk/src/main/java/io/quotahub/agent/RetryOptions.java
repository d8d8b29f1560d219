package io.quotahub.agent;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether and how {@link QuotaClient#call(String, long, Duration, RetryOptions, ProviderCall)}
 * retries a provider call. Off by default ({@link #none()}). Only transient failures are retried: a
 * 429 whose retry-after is at most {@link #maxRetryAfter()} (or that gave none), a 5xx or
 * overloaded answer, an {@code IOException} or a timeout. Each retry takes a fresh lease (the hub
 * may hand out another key; a key that answered 429 is cooling down), after 1 s, 2 s, 4 s, then
 * 8 s, each spread up to half again at random, and only while the whole call stays within
 * {@link #deadline()}. Immutable.
 *
 * <p>Turn the provider SDK's own retries off when retrying here (OpenAI's SDKs retry twice by
 * default: {@code maxRetries(0)}): a retry inside the provider call reuses the lease's key, unseen
 * by the hub, after a 429 that the hub never hears of.
 */
public final class RetryOptions {

    /** The most retries a call may make. */
    public static final int MAX_RETRIES = 10;
    /** Default {@link #maxRetryAfter()}: longer waits are better spent on other work. */
    public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(10);

    private static final RetryOptions NONE = new RetryOptions(0, Duration.ZERO, DEFAULT_MAX_RETRY_AFTER);

    private final int retries;
    private final Duration deadline;
    private final Duration maxRetryAfter;

    private RetryOptions(int retries, Duration deadline, Duration maxRetryAfter) {
        this.retries = retries;
        this.deadline = deadline;
        this.maxRetryAfter = maxRetryAfter;
    }

    /**
     * No retry: one attempt.
     *
     * @return the options
     */
    public static RetryOptions none() {
        return NONE;
    }

    /**
     * Up to {@code retries} retries, as long as the whole call (acquires, provider calls and waits)
     * ends within {@code deadline} of its start.
     *
     * @param retries  retries after the first attempt, 1 to {@link #MAX_RETRIES}
     * @param deadline the caller's bound on the whole call, positive
     * @return the options
     * @throws IllegalArgumentException if {@code retries} is out of range or {@code deadline} null,
     *                                  zero or negative
     */
    public static RetryOptions upTo(int retries, Duration deadline) {
        if (retries < 1 || retries > MAX_RETRIES) {
            throw new IllegalArgumentException("retries must be 1 to " + MAX_RETRIES + ", was " + retries);
        }
        if (deadline == null || deadline.isZero() || deadline.isNegative()) {
            throw new IllegalArgumentException("deadline must be a positive duration, was " + deadline);
        }
        return new RetryOptions(retries, deadline, DEFAULT_MAX_RETRY_AFTER);
    }

    /**
     * The same options, retrying a 429 only if its retry-after is at most {@code bound}.
     *
     * @param bound the longest retry-after worth waiting for, zero or positive
     * @return a copy
     * @throws IllegalArgumentException if {@code bound} is null or negative
     */
    public RetryOptions maxRetryAfter(Duration bound) {
        if (bound == null || bound.isNegative()) {
            throw new IllegalArgumentException("maxRetryAfter must be zero or positive, was " + bound);
        }
        return new RetryOptions(retries, deadline, bound);
    }

    /**
     * Retries after the first attempt.
     *
     * @return 0 for {@link #none()}
     */
    public int retries() {
        return retries;
    }

    /**
     * The bound on the whole call.
     *
     * @return the deadline from the call's start; zero for {@link #none()}
     */
    public Duration deadline() {
        return deadline;
    }

    /**
     * The longest 429 retry-after that is retried.
     *
     * @return the bound, default {@link #DEFAULT_MAX_RETRY_AFTER}
     */
    public Duration maxRetryAfter() {
        return maxRetryAfter;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryOptions r && r.retries == retries && r.deadline.equals(deadline)
                && r.maxRetryAfter.equals(maxRetryAfter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(retries, deadline, maxRetryAfter);
    }

    @Override
    public String toString() {
        return retries == 0 ? "RetryOptions[none]"
                : "RetryOptions[retries=" + retries + ", deadline=" + deadline + ", maxRetryAfter=" + maxRetryAfter + "]";
    }
}
