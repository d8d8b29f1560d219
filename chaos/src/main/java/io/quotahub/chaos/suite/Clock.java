package io.quotahub.chaos.suite;

import java.time.Instant;

/** The suite's time: epoch nanoseconds anchored once, advanced by {@link System#nanoTime()}. */
public final class Clock {

    private static final long ORIGIN_EPOCH_NANOS;
    private static final long ORIGIN_NANO_TIME;

    static {
        Instant now = Instant.now();
        ORIGIN_NANO_TIME = System.nanoTime();
        ORIGIN_EPOCH_NANOS = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private Clock() {
    }

    /** Now, in epoch nanoseconds. */
    public static long now() {
        return ORIGIN_EPOCH_NANOS + (System.nanoTime() - ORIGIN_NANO_TIME);
    }

    public static long millis(long nanos) {
        return nanos / 1_000_000L;
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(Math.max(0, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
