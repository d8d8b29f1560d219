package io.quotahub.agent.internal;

/**
 * How many calls the next block asks for (Doorman-style: from the agent's recent rate): the calls
 * drawn per second, smoothed, times a block's life, with a quarter more so that a block lasts until
 * the next one arrives; at least 1, at most {@link #MAX_ASK}. The hubs grant less when the pool's
 * {@code max-calls}, this hub's room or the agent's fair share say so. Pure: fed the time and the
 * calls drawn so far; confined to the caller's lock.
 */
final class BlockSizer {

    /** What the first block asks for, before any rate is known. */
    static final int FIRST_ASK = 8;
    /** The most calls one request asks for (the hubs' bound of max-calls). */
    static final int MAX_ASK = 10_000;
    private static final double SMOOTHING = 0.5;

    private long lastAt;
    private long lastCalls;
    private double callsPerSecond = -1;

    /**
     * @param now        the ticker's time
     * @param totalCalls every call drawn so far
     * @param lifeNanos  a block's life, as the hubs last granted it
     * @return the calls to ask for
     */
    int next(long now, long totalCalls, long lifeNanos) {
        if (callsPerSecond < 0 && lastAt == 0 && lastCalls == 0) {
            lastAt = now;
            lastCalls = totalCalls;
            callsPerSecond = 0;
            return FIRST_ASK;
        }
        long elapsed = now - lastAt;
        if (elapsed > 0) {
            double rate = (totalCalls - lastCalls) * 1e9 / elapsed;
            callsPerSecond = callsPerSecond <= 0 ? rate : SMOOTHING * rate + (1 - SMOOTHING) * callsPerSecond;
            lastAt = now;
            lastCalls = totalCalls;
        }
        double wanted = Math.ceil(callsPerSecond * lifeNanos / 1e9 * 1.25);
        return (int) Math.max(1, Math.min(MAX_ASK, wanted + 1));
    }

    /** The smoothed rate, calls per second (tests, metrics). */
    double callsPerSecond() {
        return Math.max(0, callsPerSecond);
    }
}
