package io.quotahub.engine.internal;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.PoolPolicy;

/**
 * How many calls a block gets (docs/architecture.md, "Block leases"). The key was chosen and one
 * call admitted by the usual rules (cooldown, circuit, thermal, fair share, windows, budgets);
 * the block then holds as many calls as, together, fit:
 * <ul>
 *   <li>what the agent asked and the pool's {@code max-calls};</li>
 *   <li>what this hub can grant now: the free units of its budget in every window of the pool and
 *       the key ({@link SlidingWindow#free}), so the block's cost is admitted like a lease's;</li>
 *   <li>what keeps the key 10 points of utilisation below its thermal throttle
 *       ({@link KeyState#callsBelowThrottle}): the engine counts a block's calls as used until it is
 *       settled, so blocks that took the key to the preset's threshold would throttle it by their
 *       reservations alone, however few calls are made;</li>
 *   <li>the agent's fair share of that remaining room: {@code floor(room x min(max-share-per-agent, 1/agents))}
 *       where {@code agents} counts every agent holding a lease in the pool, refused lately or whose
 *       last lease was used up lately ({@link AgentShares#competitors}), itself included; so sizes
 *       shrink towards 1 (a per-call lease) as competition grows, no idle block starves the others,
 *       and an agent that finds the others between two blocks does not take the room their next
 *       calls need;</li>
 *   <li>the agent's {@code max-share-per-agent} of every limit's capacity, less what it holds;</li>
 *   <li>the key's burst allowance; and one call only while the key's circuit is not closed (a probe)
 *       or its thermal state paces it.</li>
 * </ul>
 * Never less than one call, which the caller admitted. Pure arithmetic under the pool's lock.
 */
final class BlockSizing {

    private BlockSizing() {
    }

    static int calls(PoolState pool, KeyState key, String agent, long tokensPerCall, int asked, long now) {
        long n = Math.min(asked, pool.spec.blocks().maxCalls());
        if (n <= 1 || key.guard.circuit() != CircuitState.CLOSED || key.thermal.throttled()) {
            return 1;
        }
        if (key.burst != null) {
            n = Math.min(n, key.burst.max());
        }
        long room = key.callsBelowThrottle(tokensPerCall);
        for (SlidingWindow w : pool.windows) {
            room = Math.min(room, callsThatFit(w, tokensPerCall));
        }
        for (SlidingWindow w : key.windows) {
            room = Math.min(room, callsThatFit(w, tokensPerCall));
        }
        n = Math.min(n, room);
        if (room != Long.MAX_VALUE) {
            n = Math.min(n, fairShare(room, pool.spec.policy(), pool.shares == null ? 0 : pool.shares.competitors(agent, now)));
        }
        if (pool.shares != null) {
            n = Math.min(n, pool.shares.callsWithinShare(key, agent, tokensPerCall));
        }
        return (int) Math.max(1, n);
    }

    /** Calls of {@code tokensPerCall} this hub may still admit in {@code w}. */
    static long callsThatFit(SlidingWindow w, long tokensPerCall) {
        long unit = w.cost(1, tokensPerCall);
        return unit <= 0 ? Long.MAX_VALUE : w.free() / unit;
    }

    /** An agent's fair part of {@code room} calls among itself and {@code competitors} others, at least 1. */
    static long fairShare(long room, PoolPolicy policy, int competitors) {
        double share = 1.0 / (Math.max(0, competitors) + 1);
        if (policy.maxSharePerAgent() > 0) {
            share = Math.min(share, policy.maxSharePerAgent());
        }
        return Math.max(1, (long) Math.floor(room * share));
    }
}
