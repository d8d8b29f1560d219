package io.quotahub.agent.internal;

/**
 * The SDK's monotonic time source in nanoseconds (like Caffeine's {@code Ticker}): everything in the
 * client that measures a wait or a deadline reads it, so tests run on a fake one. Not part of the API.
 */
@FunctionalInterface
public interface Ticker {

    /** {@link System#nanoTime()}. */
    Ticker SYSTEM = System::nanoTime;

    /**
     * Nanoseconds from an arbitrary origin; only differences mean anything.
     *
     * @return the time now
     */
    long nanos();
}
