package io.quotahub.engine.internal;

import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.RefusalCode;

import java.util.HashMap;
import java.util.Map;

/**
 * Fair share in one pool ({@link PoolPolicy}): what each agent holds unsettled, and whether it may
 * take one more lease. Counts every open lease the engine knows (granted here or replayed from the
 * peer's ledger), so an agent cannot get past its cap by asking both hubs.
 *
 * <ul>
 *   <li>{@code maxOpenLeasesPerAgent}: the agent's open leases in the pool, plus this one, at most the cap;</li>
 *   <li>{@code maxSharePerAgent}: for every limit the lease would count in with a positive cost (the
 *       pool's and the chosen key's), the agent's unsettled units plus the cost at most
 *       {@code max(cost, floor(share x capacity))}: one call always fits. A key where the agent is
 *       over its share is skipped like a full one; another key may serve.</li>
 * </ul>
 * Refused with {@link RefusalCode#AGENT_LIMIT}; the retry is when the agent's oldest lease in the
 * pool expires (it frees room sooner if it settles).
 *
 * <p>Derived state, rebuilt from the open leases (never written to a snapshot). Memory follows the
 * open leases: an agent's entry (and its entry at a key) exists only while it holds a lease there.
 * A decision makes one map lookup for the pool and one per key it examines; it never walks an
 * agent's leases. Exists only for a pool whose policy asks for it: with the defaults a pool has none
 * and pays nothing. Guarded by the pool's lock.
 */
final class AgentShares {

    /** What one agent holds in the pool. */
    static final class Holding {
        int open;
        /** Unsettled units per pool limit (null when the share is off). */
        final long[] poolUnits;
        /** Its open leases by expiry (the first expires first); leases arrive about in that order. */
        OpenLease first;
        OpenLease last;

        Holding(int poolLimits, boolean share) {
            this.poolUnits = share ? new long[poolLimits] : null;
        }
    }

    private final PoolState pool;
    private final int maxOpen;
    private final boolean share;
    private final Map<String, Holding> byAgent = new HashMap<>();
    /**
     * Pools with blocks: when each agent was last refused or last used up a lease (settled with all
     * its calls: it comes back for more), kept for {@code wantMemory} (the blocks' expiry, at least
     * 1 s). Decision-only state: a block's size is recorded in its grant, so neither a replay nor the
     * peer needs it.
     */
    private final Map<String, Long> wantedAt = new HashMap<>();
    private final long wantMemory;
    private static final int MAX_REMEMBERED = 10_000;

    private AgentShares(PoolState pool, PoolPolicy policy) {
        this.pool = pool;
        this.maxOpen = policy.maxOpenLeasesPerAgent();
        this.share = policy.maxSharePerAgent() > 0;
        this.wantMemory = pool.spec.blocks().enabled() ? Math.max(1_000, Units.millis(pool.spec.blocks().expiry())) : 0;
        if (share) {
            for (SlidingWindow w : pool.windows) {
                w.agentCap = cap(policy.maxSharePerAgent(), w.spec.capacity());
            }
            for (KeyState k : pool.keys) {
                k.agentUnits = new HashMap<>();
                for (SlidingWindow w : k.windows) {
                    w.agentCap = cap(policy.maxSharePerAgent(), w.spec.capacity());
                }
            }
        }
    }

    /** The fair-share state of a pool, or null when its policy caps nothing per agent. */
    static AgentShares of(PoolState pool) {
        PoolPolicy p = pool.spec.policy();
        // a pool with blocks counts its agents too: block sizes shrink as more of them compete
        return p.maxOpenLeasesPerAgent() > 0 || p.maxSharePerAgent() > 0 || pool.spec.blocks().enabled()
                ? new AgentShares(pool, p) : null;
    }

    /**
     * Agents other than {@code agent} competing for the pool at {@code now}: those holding a lease,
     * and those refused or that used up a lease within the last {@link #wantMemory}: an agent refused
     * is waiting for room (one starved of leases must still shrink the others' blocks); one whose last
     * lease was used up a moment ago comes back for more (a block sized as if the pool were the
     * asker's alone would take the room these agents' next calls need, and the key to its thermal
     * throttle). An agent that settled calls unused is not counted: it has no demand now. Prunes
     * what is too old.
     */
    int competitors(String agent, long now) {
        int n = byAgent.size() - (agent != null && byAgent.containsKey(agent) ? 1 : 0);
        for (var it = wantedAt.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (now - e.getValue() > wantMemory) {
                it.remove();
            } else if (!e.getKey().equals(agent) && !byAgent.containsKey(e.getKey())) {
                n++;
            }
        }
        return n;
    }

    /** {@code agent} was refused, or used up a lease, at {@code now} (pools with blocks only: it competes for the next blocks). */
    void wantsMore(String agent, long now) {
        if (wantMemory <= 0 || agent == null) {
            return;
        }
        wantedAt.put(agent, now);
        if (wantedAt.size() > MAX_REMEMBERED) {
            wantedAt.values().removeIf(at -> now - at > wantMemory);
            if (wantedAt.size() > MAX_REMEMBERED) {
                wantedAt.clear(); // a flood of agent ids: forget them rather than grow
            }
        }
    }

    /**
     * The most calls of {@code tokensPerCall} a block of {@code agent} on {@code key} may hold
     * within its share of every capped limit (at least 1: one call always fits, as for a lease);
     * unbounded when the pool caps no share.
     */
    long callsWithinShare(KeyState key, String agent, long tokensPerCall) {
        if (!share) {
            return Long.MAX_VALUE;
        }
        Holding h = agent == null ? null : byAgent.get(agent);
        long[] units = agent == null ? null : key.agentUnits.get(agent);
        long most = Long.MAX_VALUE;
        for (int i = 0; i < pool.windows.length; i++) {
            most = Math.min(most, callsWithin(pool.windows[i], h == null ? 0 : h.poolUnits[i], tokensPerCall));
        }
        for (int i = 0; i < key.windows.length; i++) {
            most = Math.min(most, callsWithin(key.windows[i], units == null ? 0 : units[i], tokensPerCall));
        }
        return Math.max(1, most);
    }

    private static long callsWithin(SlidingWindow w, long held, long tokensPerCall) {
        long unit = w.cost(1, tokensPerCall);
        return unit <= 0 ? Long.MAX_VALUE : Math.max(0, Units.sub(w.agentCap, held)) / unit;
    }

    /** floor(share x capacity): capacities are at most 10^12, exact in a double. */
    static long cap(double share, long capacity) {
        return (long) Math.floor(share * capacity);
    }

    // ---- bookkeeping (Accounting calls these with the windows' reservations) -------------------

    void record(OpenLease l) {
        String agent = l.lease.agentId();
        if (agent == null) {
            return;
        }
        Holding h = byAgent.get(agent);
        if (h == null) {
            h = new Holding(pool.windows.length, share);
            byAgent.put(agent, h);
        }
        h.open++;
        // from the tail: a grant expires after the agent's earlier ones (same TTL), so this is O(1)
        // but for a peer's lease folded a little out of order
        OpenLease before = h.last;
        while (before != null && before.expiresAtMillis > l.expiresAtMillis) {
            before = before.agentPrev;
        }
        OpenLease after = before == null ? h.first : before.agentNext;
        l.agentPrev = before;
        l.agentNext = after;
        if (before == null) {
            h.first = l;
        } else {
            before.agentNext = l;
        }
        if (after == null) {
            h.last = l;
        } else {
            after.agentPrev = l;
        }
        if (share) {
            long tokens = l.lease.tokens();
            int calls = l.lease.calls();
            for (int i = 0; i < pool.windows.length; i++) {
                h.poolUnits[i] = Units.add(h.poolUnits[i], pool.windows[i].cost(calls, tokens));
            }
            SlidingWindow[] kw = l.key.windows;
            long[] units = l.key.agentUnits.get(agent);
            if (units == null) {
                units = new long[kw.length + 1];
                l.key.agentUnits.put(agent, units);
            }
            for (int i = 0; i < kw.length; i++) {
                units[i] = Units.add(units[i], kw[i].cost(calls, tokens));
            }
            units[kw.length]++;
        }
    }

    void unrecord(OpenLease l) {
        String agent = l.lease.agentId();
        Holding h = agent == null ? null : byAgent.get(agent);
        if (h == null) {
            return;
        }
        if (l.agentPrev == null) {
            h.first = l.agentNext;
        } else {
            l.agentPrev.agentNext = l.agentNext;
        }
        if (l.agentNext == null) {
            h.last = l.agentPrev;
        } else {
            l.agentNext.agentPrev = l.agentPrev;
        }
        l.agentPrev = null;
        l.agentNext = null;
        if (--h.open <= 0) {
            byAgent.remove(agent);
        } else if (share) {
            long tokens = l.lease.tokens();
            int calls = l.lease.calls();
            for (int i = 0; i < pool.windows.length; i++) {
                h.poolUnits[i] = Units.minus(h.poolUnits[i], pool.windows[i].cost(calls, tokens));
            }
        }
        if (share) {
            SlidingWindow[] kw = l.key.windows;
            long[] units = l.key.agentUnits.get(agent);
            if (units != null) {
                if (--units[kw.length] <= 0) {
                    l.key.agentUnits.remove(agent);
                } else {
                    long tokens = l.lease.tokens();
                    int calls = l.lease.calls();
                    for (int i = 0; i < kw.length; i++) {
                        units[i] = Units.minus(units[i], kw[i].cost(calls, tokens));
                    }
                }
            }
        }
    }

    /** What {@code agent} holds in the pool, null if nothing (tests). */
    Holding holding(String agent) {
        return byAgent.get(agent);
    }

    /** Agents holding at least one lease in the pool (tests). */
    int agents() {
        return byAgent.size();
    }

    // ---- admission -----------------------------------------------------------------------------

    /** May {@code agent} take one more lease of {@code tokens} in this pool (its count and the pool's limits)? */
    Admission.Block checkPool(String agent, long tokens, long now, long leaseTtlMillis) {
        Holding h = byAgent.get(agent);
        if (h == null) {
            return null; // one call always fits
        }
        if (maxOpen > 0 && h.open >= maxOpen) {
            long retry = retry(h, now, leaseTtlMillis);
            return new Admission.Block(RefusalCode.AGENT_LIMIT, retry, null, null, "pool " + pool.name()
                    + ": this agent holds " + h.open + " open leases, at most " + maxOpen
                    + " per agent (max-open-leases-per-agent); settle one or retry in " + Admission.human(retry));
        }
        if (share) {
            for (int i = 0; i < pool.windows.length; i++) {
                SlidingWindow w = pool.windows[i];
                if (overShare(h.poolUnits[i], w, tokens)) {
                    return shareBlock(w, h.poolUnits[i], null, "pool " + pool.name(), retry(h, now, leaseTtlMillis));
                }
            }
        }
        return null;
    }

    /** Does {@code agent} stay within its share of every limit of {@code key} with this lease? */
    Admission.Block checkKey(KeyState key, String agent, long tokens, long now, long leaseTtlMillis) {
        if (!share) {
            return null;
        }
        long[] units = key.agentUnits.get(agent);
        if (units == null) {
            return null;
        }
        SlidingWindow[] kw = key.windows;
        for (int i = 0; i < kw.length; i++) {
            if (overShare(units[i], kw[i], tokens)) {
                Holding h = byAgent.get(agent);
                long retry = h == null ? leaseTtlMillis : retry(h, now, leaseTtlMillis);
                return shareBlock(kw[i], units[i], key.id(), "key " + key.id() + " of pool " + pool.name(), retry);
            }
        }
        return null;
    }

    /** The share rule: held + cost &lt;= max(cost, cap); a lease that adds nothing to a limit always fits it. */
    static boolean overShare(long held, SlidingWindow w, long tokens) {
        long cost = w.cost(tokens);
        return cost > 0 && Units.add(held, cost) > Math.max(cost, w.agentCap);
    }

    private static Admission.Block shareBlock(SlidingWindow w, long held, String keyId, String who, long retry) {
        String limit = w.spec.describe();
        return new Admission.Block(RefusalCode.AGENT_LIMIT, retry, keyId, limit, who + ": this agent holds " + held
                + " unsettled units of " + limit + ", at most " + w.agentCap
                + " per agent (max-share-per-agent); settle a lease or retry in " + Admission.human(retry));
    }

    /** Until the agent's oldest lease in the pool expires (it frees room sooner by settling). */
    private static long retry(Holding h, long now, long fallback) {
        return h.first == null ? fallback : Math.max(1, Units.sub(h.first.expiresAtMillis, now));
    }
}
