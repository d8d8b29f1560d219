package io.quotahub.engine.internal;


import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Preset;

import java.util.List;

/**
 * Burst protection of one key: at most {@code max} grants in any interval of
 * {@link Preset#BURST_INTERVAL_SECONDS}. Counted at grant time, because it protects against bursts
 * of grants. Keeps only the last {@code max} grant times in a ring: a new grant at t is allowed iff
 * the oldest of them is at least one interval before t.
 */
final class BurstGuard {

    static final long INTERVAL_MILLIS = Preset.BURST_INTERVAL_SECONDS * 1000L;
    private static final long MAX_DRIVING_PER_MILLIS = 60_000L;

    /** One slot more than {@code max}, so that undoing a grant (cancel) restores the previous state. */
    private final long[] ring;
    private final int max;
    private int next;
    private int count;

    private BurstGuard(int max) {
        this.max = max;
        this.ring = new long[max + 1];
    }

    /** The guard for a key, or null when burst protection is off or no request limit is longer than the interval. */
    static BurstGuard forKey(List<LimitSpec> limits, Preset preset) {
        int max = maxPerInterval(limits, preset.burstFactor());
        return max <= 0 ? null : new BurstGuard(max);
    }

    /**
     * ceil(factor * capacity * interval / per) of the tightest REQUESTS limit with per longer than the
     * interval and at most a minute (CONSERVATIVE, 60/min: 10 per 10 s); 0 when off. Hour and day
     * limits do not drive it: their even share (1 500/day is 0.17 per 10 s) would forbid any burst.
     */
    static int maxPerInterval(List<LimitSpec> limits, double factor) {
        if (factor <= 0) {
            return 0;
        }
        double tightest = Double.MAX_VALUE;
        for (LimitSpec l : limits) {
            long per = Units.millis(l.per());
            if (l.kind() == LimitKind.REQUESTS && per > INTERVAL_MILLIS && per <= MAX_DRIVING_PER_MILLIS) {
                tightest = Math.min(tightest, l.capacity() * (double) INTERVAL_MILLIS / per);
            }
        }
        if (tightest == Double.MAX_VALUE) {
            return 0;
        }
        // a tiny epsilon keeps 10.000000000000002 from becoming 11
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE - 1, Math.ceil(factor * tightest - 1e-9)));
    }

    int max() {
        return max;
    }

    /** 0 if a grant at {@code now} is allowed, else milliseconds until it is. */
    long millisUntilAllowed(long now) {
        if (count < max) {
            return 0;
        }
        long oldest = ring[(next - max + ring.length) % ring.length];
        // at most one interval: a replayed grant dated in the future must not block the key for longer
        return Units.clamp(Units.sub(Units.add(oldest, INTERVAL_MILLIS), now), 0, INTERVAL_MILLIS);
    }

    void record(long at) {
        ring[next] = at;
        next = (next + 1) % ring.length;
        if (count < ring.length) {
            count++;
        }
    }

    /** Forgets the latest grant (a cancelled lease). */
    void unrecord(long at) {
        int last = (next - 1 + ring.length) % ring.length;
        if (count > 0 && ring[last] == at) {
            next = last;
            count--;
        }
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    record State(long[] ring, int next, int count) {
    }

    int ringLength() {
        return ring.length;
    }

    State state() {
        return new State(ring.clone(), next, count);
    }

    /** Restores a state the codec checked (a ring of {@link #ringLength()}, positions in range). */
    void restore(State s) {
        System.arraycopy(s.ring(), 0, ring, 0, ring.length);
        next = s.next();
        count = s.count();
    }
}
