package io.quotahub.engine.internal;

import io.quotahub.engine.LimitSpec;

import java.time.Duration;
import java.time.Instant;

/**
 * Arithmetic of units and times that cannot wrap.
 *
 * <p>Why sums stay far from 2^63: every capacity is at most {@link LimitSpec#MAX_CAPACITY}
 * (10^12), and every amount entering a window or a budget is clamped to such a bound where it
 * enters the engine (a settle's tokens to the pool's bound, a replayed grant's tokens, transfer and
 * takeover units), so reaching 2^63 would take millions of maximal entries in one window.
 * Saturation ({@link #add}) is only the last guard, should a history still get there: a saturated
 * sum is wrong, but stays a huge positive number that admits nothing instead of a negative one that
 * admits everything. Times are epoch milliseconds from the clock or the ledger; a duration added to
 * one saturates at {@code Long.MAX_VALUE} ("never"), not in the distant past.
 */
final class Units {

    private Units() {
    }

    /** {@code a + b}, saturated at {@code Long.MIN_VALUE} / {@code Long.MAX_VALUE}. */
    static long add(long a, long b) {
        long r = a + b;
        // overflow iff both operands have the sign the result lacks
        if (((a ^ r) & (b ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /** {@code a - b}, saturated. */
    static long sub(long a, long b) {
        long r = a - b;
        if (((a ^ b) & (a ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /** {@code a * b} of non-negative amounts, saturated at {@code Long.MAX_VALUE}. */
    static long mul(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long r = a * b;
        return hi != 0 || r < 0 ? Long.MAX_VALUE : r;
    }

    /** {@code a - b}, never below 0: what is left of a sum when an amount leaves it. */
    static long minus(long a, long b) {
        return Math.max(0, sub(a, b));
    }

    /** {@code v} within {@code [min, max]} (min when min &gt; max). */
    static long clamp(long v, long min, long max) {
        return v > max ? Math.max(min, max) : Math.max(v, min);
    }

    /** An amount of units within {@code [0, max]}. */
    static long amount(long units, long max) {
        return clamp(units, 0, max);
    }

    /** An amount of units within {@code [0, MAX_CAPACITY]}: no single lease or entry is ever larger. */
    static long amount(long units) {
        return clamp(units, 0, LimitSpec.MAX_CAPACITY);
    }

    /** A duration in milliseconds, saturated (no {@link ArithmeticException} for a huge one); null is 0. */
    static long millis(Duration d) {
        if (d == null) {
            return 0;
        }
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** Epoch milliseconds of an instant, saturated; {@code orElse} for null. */
    static long epochMillis(Instant t, long orElse) {
        if (t == null) {
            return orElse;
        }
        try {
            return t.toEpochMilli();
        } catch (ArithmeticException e) {
            return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
