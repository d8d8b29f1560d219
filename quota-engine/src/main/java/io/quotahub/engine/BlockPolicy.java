package io.quotahub.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether a pool grants blocks (docs/architecture.md, "Block leases"): one lease for up to
 * {@code maxCalls} calls that the agent uses on its own until {@code expiry}, then settles with
 * what it used. Off by default: a pool without it grants only per-call leases.
 *
 * @param maxCalls the most calls one block may hold; 0: the pool grants no blocks
 * @param expiry   how long a block may be used from its grant; the hub expires it then
 */
public record BlockPolicy(int maxCalls, Duration expiry) {

    /** Default of {@link #expiry}. */
    public static final Duration DEFAULT_EXPIRY = Duration.ofSeconds(2);
    /** The largest {@link #maxCalls} accepted. */
    public static final int MAX_CALLS = 10_000;
    /** The longest {@link #expiry} accepted: a block is a short lease by design. */
    public static final Duration MAX_EXPIRY = Duration.ofMinutes(1);

    private static final BlockPolicy OFF = new BlockPolicy(0, DEFAULT_EXPIRY);

    public BlockPolicy {
        Objects.requireNonNull(expiry, "expiry");
        if (maxCalls < 0 || maxCalls > MAX_CALLS) {
            throw new IllegalArgumentException("blocks max-calls must be between 0 (off) and " + MAX_CALLS + ", was " + maxCalls);
        }
        if (expiry.isNegative() || expiry.isZero() || expiry.compareTo(MAX_EXPIRY) > 0) {
            throw new IllegalArgumentException("blocks expiry must be > 0 and at most " + MAX_EXPIRY + ", was " + expiry);
        }
    }

    /** No blocks: the default of every pool. */
    public static BlockPolicy off() {
        return OFF;
    }

    /** Blocks of up to {@code maxCalls} calls that expire after the default 2 s. */
    public static BlockPolicy of(int maxCalls) {
        return new BlockPolicy(maxCalls, DEFAULT_EXPIRY);
    }

    public boolean enabled() {
        return maxCalls > 0;
    }
}
