package io.quotahub.engine.internal;

import io.quotahub.engine.LimitKind;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.Settlement;

/**
 * How a lease enters and leaves the windows of its key and pool: reserved (estimate for TOKENS,
 * 1 for REQUESTS) from grant to settle, then charged at its settle time with what it really used
 * (an EXPIRED lease with its full estimate). Caller holds the pool's lock.
 *
 * <p>Every amount is bounded here before it reaches a window: a lease's estimate is at most
 * {@link io.quotahub.engine.LimitSpec#MAX_CAPACITY} (acquire refuses more, a replayed grant is
 * clamped), and a settle's tokens are clamped to the pool's {@link io.quotahub.engine.PoolSpec#maxTokensPerCall()}:
 * the hub refuses a larger report live, so only a ledger fold can bring one, and both hubs then
 * clamp it alike. A reservation is released with the same lease's estimate, so exactly what it added.
 */
final class Accounting {

    private Accounting() {
    }

    static void record(OpenLease l) {
        KeyState key = l.key;
        long tokens = l.lease.tokens();
        int calls = l.lease.calls();
        for (SlidingWindow w : key.windows) {
            w.reserve(w.cost(calls, tokens), l.slot);
        }
        for (SlidingWindow w : l.pool.windows) {
            w.reserve(w.cost(calls, tokens), l.slot);
        }
        key.open.put(l.id(), l);
        if (l.pool.shares != null) {
            l.pool.shares.record(l);
        }
        l.pool.inFlight++;
        if (key.burst != null) {
            key.burst.record(l.grantedAtMillis);
        }
        key.lastGrantAt = Math.max(key.lastGrantAt, l.grantedAtMillis);
        key.granted++;
        key.guard.onGrant(l.id());
    }

    /** Removes the reservation (cancel, or the first half of a settle). */
    static void unrecord(OpenLease l) {
        long tokens = l.lease.tokens();
        int calls = l.lease.calls();
        for (SlidingWindow w : l.key.windows) {
            w.release(w.cost(calls, tokens), l.slot);
        }
        for (SlidingWindow w : l.pool.windows) {
            w.release(w.cost(calls, tokens), l.slot);
        }
        l.key.open.remove(l.id());
        if (l.pool.shares != null) {
            l.pool.shares.unrecord(l);
        }
        l.pool.inFlight--;
    }

    /** Replaces the reservation by the real use, charged at {@code at}; feeds counters and heat. */
    static void settle(OpenLease l, Settlement s, long at) {
        unrecord(l);
        long tokens = charged(l.lease.tokens(), s.tokensUsed(), s.outcome(),
                Units.mul(l.pool.maxTokensPerCall, l.lease.calls()));
        long calls = chargedCalls(l.lease.blockCalls(), s.callsUsed(), s.outcome());
        if (l.pool.shares != null && calls >= l.lease.calls()) {
            l.pool.shares.wantsMore(l.lease.agentId(), at); // used up: it comes back for more, a competitor for the next blocks
        }
        for (SlidingWindow w : l.key.windows) {
            w.charge(at, w.spec.kind() == LimitKind.TOKENS ? tokens : calls, l.slot);
        }
        for (SlidingWindow w : l.pool.windows) {
            w.charge(at, w.spec.kind() == LimitKind.TOKENS ? tokens : calls, l.slot);
        }
        KeyState key = l.key;
        switch (s.outcome()) {
            case OK -> key.thermal.onOutcome(false, at);
            case RATE_LIMITED -> {
                key.rateLimited++;
                key.thermal.onOutcome(true, at);
            }
            case ERROR -> {
                key.errors++;
                key.thermal.onOutcome(true, at);
            }
            case AUTH_FAILED -> key.errors++;
            default -> { }
        }
    }

    /**
     * Calls a settled lease costs: one for a lease of one call; for a block of {@code blockCalls},
     * the calls it reports within {@code [0, blockCalls]} (the rest returns), or all of them if it
     * expired, reported none ({@link Settlement#CALLS_NOT_REPORTED}), or ended UNKNOWN reporting 0.
     */
    static long chargedCalls(int blockCalls, int used, Outcome outcome) {
        if (blockCalls <= 0) {
            return 1;
        }
        if (outcome == Outcome.EXPIRED || used < 0 || (outcome == Outcome.UNKNOWN && used == 0)) {
            return blockCalls;
        }
        return Math.min(used, blockCalls);
    }

    /**
     * Tokens a settled lease costs: what it used (a refund or an extra charge) within
     * {@code [0, maxTokensPerCall]}, or its estimate if it expired, or if its outcome is UNKNOWN and
     * it reported no tokens (the call may have happened in full).
     */
    static long charged(long estimate, long used, Outcome outcome, long maxTokensPerCall) {
        if (outcome == Outcome.EXPIRED || (outcome == Outcome.UNKNOWN && used <= 0)) {
            return Units.amount(estimate);
        }
        return Units.amount(used, maxTokensPerCall);
    }
}
