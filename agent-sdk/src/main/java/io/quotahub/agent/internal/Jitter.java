package io.quotahub.agent.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Spreads the waits before retries, so that many clients (or many waiters of one client) told "not
 * now" at the same instant do not all come back at the same instant and collide again. Not part
 * of the API: the randomness is injectable so that tests can check the spread deterministically.
 *
 * <p>{@link #atLeast(long)}: a wait drawn uniformly from {@code [base, 1.5 x base)}. Used after a
 * refusal: the hub's retry-after says when room can come back at the earliest (the oldest call
 * leaves its window, the cooldown ends), so retrying earlier is wasted and only adds load; spreading
 * above it over half its length keeps the added latency bounded (at most half the retry-after, a
 * quarter on average) while N waiters refused together arrive spread over that span instead of in
 * one burst (the first of them take the room that came back, the later ones find the updated
 * state). The same spread serves the fixed backoffs (between rounds of failed routes, after a
 * hub error), where no earlier retry can help either.
 *
 * <p>{@link #around(long)}: a wait drawn uniformly from {@code [0.5 x base, 1.5 x base)}, mean
 * {@code base}. Used for {@code OVERLOADED} only, where the retry-after is the hub's guess of how
 * long its backlog takes to drain rather than a limit's exact reset.
 */
public final class Jitter {

    private final DoubleSupplier uniform;

    /**
     * A jitter drawing from {@code uniform}.
     *
     * @param uniform values in {@code [0, 1)}; called on the client's logical thread only (one call at a time)
     * @throws NullPointerException if {@code uniform} is null
     */
    public Jitter(DoubleSupplier uniform) {
        this.uniform = java.util.Objects.requireNonNull(uniform, "uniform");
    }

    /**
     * The jitter of a client: {@link ThreadLocalRandom}.
     *
     * @return a jitter with real randomness
     */
    public static Jitter ofDefaults() {
        return new Jitter(() -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * A wait of at least {@code baseNanos}: uniform in {@code [base, 1.5 x base)}.
     *
     * @param baseNanos the shortest useful wait, {@code >= 0}
     * @return the wait in nanoseconds
     */
    public long atLeast(long baseNanos) {
        return spreadAbove(baseNanos, draw());
    }

    /**
     * A wait of {@code baseNanos} on average: uniform in {@code [0.5 x base, 1.5 x base)}.
     *
     * @param baseNanos the mean wait, {@code >= 0}
     * @return the wait in nanoseconds
     */
    public long around(long baseNanos) {
        return spreadAround(baseNanos, draw());
    }

    private double draw() {
        double u = uniform.getAsDouble();
        return u >= 0 && u < 1 ? u : 0; // a supplier out of range must not make a wait shorter than asked
    }

    /** {@code base + u x base / 2}, saturating; {@code u} in {@code [0, 1)}. */
    static long spreadAbove(long base, double u) {
        long b = Math.max(0, base);
        long extra = (long) (u * (b / 2.0));
        return b > Long.MAX_VALUE - extra ? Long.MAX_VALUE : b + extra;
    }

    /** {@code base / 2 + u x base}; {@code u} in {@code [0, 1)}. */
    static long spreadAround(long base, double u) {
        long b = Math.max(0, base);
        long half = b / 2;
        long extra = (long) (u * b);
        return half > Long.MAX_VALUE - extra ? Long.MAX_VALUE : half + extra;
    }
}
