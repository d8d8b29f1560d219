package io.quotahub.engine.internal;


import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Priority;
import io.quotahub.engine.ThermalConfig;
import io.quotahub.engine.Zone;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One pool: its keys, its own limits and its thermal state. Its monitor is the lock of every
 * decision, settlement and view of the pool: one lock per pool keeps a decision (which compares
 * the pool's keys and charges pool limits shared by all of them) atomic without a global lock;
 * unrelated pools never contend.
 */
final class PoolState {

    /** Its configuration; replaced by a reload ({@link #reconfigure}), like the fields derived from it. */
    PoolSpec spec;
    /** The configured keys; a key a reload removed is not here (its open leases still settle through it). */
    KeyState[] keys;
    final Map<String, KeyState> byId = new HashMap<>();
    final SlidingWindow[] windows;
    final Thermal thermal;
    /** Smallest TOKENS capacity of the pool's own limits (read before the lock: a reload is atomic per field). */
    volatile long maxTokens;
    /** The most tokens one call may reserve or report ({@link PoolSpec#maxTokensPerCall()}). */
    volatile long maxTokensPerCall;
    /** The keys in selection order, refreshed lazily (see {@link KeyOrder}). */
    KeyOrder order;
    /** The latest time a decision or tick refreshed the pool: key windows are caught up to it before a charge. */
    long refreshedAt = Long.MIN_VALUE;
    int inFlight;
    Zone zone = Zone.OPTIMAL;
    /** Per-agent caps of the pool's policy; null when it has none (the default). */
    AgentShares shares;
    /** A reload removed the pool: it grants nothing more (a decision may have looked it up just before). */
    volatile boolean retired;

    PoolState(PoolSpec spec, Budgets budgets, long marginMillis, CooldownConfig cooldown, ThermalConfig thermalConfig) {
        this.spec = spec;
        this.keys = new KeyState[spec.keys().size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = new KeyState(spec.name(), spec.keys().get(i), i, spec.preset(), budgets, marginMillis, cooldown, thermalConfig);
            keys[i].learnLimits = spec.learnLimits();
            byId.put(keys[i].id(), keys[i]);
        }
        List<LimitSpec> limits = spec.limits();
        this.windows = new SlidingWindow[limits.size()];
        for (int i = 0; i < windows.length; i++) {
            String ref = spec.name() + "#" + i;
            windows[i] = new SlidingWindow(limits.get(i), ref, marginMillis, budgets.register(ref, limits.get(i).capacity()));
        }
        this.thermal = new Thermal(thermalConfig, thermalConfig.throttleAt(spec.preset()));
        this.order = new KeyOrder(keys, budgets);
        this.maxTokens = smallestTokens(limits);
        this.maxTokensPerCall = spec.maxTokensPerCall();
        this.shares = AgentShares.of(this);
    }

    private static long smallestTokens(List<LimitSpec> limits) {
        return limits.stream().filter(l -> l.kind() == LimitKind.TOKENS)
                .mapToLong(LimitSpec::capacity).min().orElse(Long.MAX_VALUE);
    }

    /**
     * A reload of this pool (checked by {@code Reconfiguration} first: same limits by kind and
     * length, same preset and policy). Kept keys keep their windows, leases, cooldowns and
     * thermal state with the new capacities; a new key starts with its split of each limit; a
     * removed key leaves the selection and the budget table, while its open leases settle normally.
     * Caller holds this pool's lock.
     *
     * @return ids of the keys removed
     */
    List<String> reconfigure(PoolSpec next, Budgets budgets, long marginMillis, CooldownConfig cooldown,
                             ThermalConfig thermalConfig, boolean holdRaises) {
        for (int i = 0; i < windows.length; i++) {
            windows[i].reconfigure(next.limits().get(i), holdRaises);
        }
        Map<String, KeyState> before = new HashMap<>(byId);
        KeyState[] after = new KeyState[next.keys().size()];
        for (int i = 0; i < after.length; i++) {
            var k = next.keys().get(i);
            KeyState kept = before.remove(k.id());
            if (kept != null) {
                kept.reconfigure(k, i, next.preset(), holdRaises);
                after[i] = kept;
            } else {
                after[i] = new KeyState(next.name(), k, i, next.preset(), budgets, marginMillis, cooldown, thermalConfig);
                after[i].learnLimits = next.learnLimits();
            }
        }
        List<String> removed = new java.util.ArrayList<>();
        for (KeyState gone : before.values()) {
            for (SlidingWindow w : gone.windows) {
                budgets.unregister(w.ref);
            }
            gone.order = null; // out of the selection: nothing of it needs refreshing for a decision
            removed.add(gone.id());
        }
        spec = next;
        keys = after;
        byId.clear();
        for (KeyState k : after) {
            byId.put(k.id(), k);
            k.touched = false; // the new order starts with every key due
            k.inTouchedList = false;
            k.inUpkeep = false;
        }
        order = new KeyOrder(keys, budgets);
        maxTokens = smallestTokens(next.limits());
        maxTokensPerCall = next.maxTokensPerCall();
        // caps follow the capacities, and blocks may have been turned on or off: what each agent holds
        // is counted again from its open leases
        for (KeyState k : keys) {
            k.agentUnits = null;
        }
        shares = AgentShares.of(this);
        if (shares != null) {
            List<OpenLease> open = new java.util.ArrayList<>();
            for (KeyState k : keys) {
                open.addAll(k.open.values());
            }
            open.sort(java.util.Comparator.comparingLong(l -> l.expiresAtMillis));
            open.forEach(shares::record);
        }
        return removed;
    }

    /** A reload removed the pool: its limits leave the budget table; its open leases settle normally. */
    void retire(Budgets budgets) {
        retired = true;
        for (SlidingWindow w : windows) {
            budgets.unregister(w.ref);
        }
        for (KeyState k : keys) {
            for (SlidingWindow w : k.windows) {
                budgets.unregister(w.ref);
            }
        }
    }

    String name() {
        return spec.name();
    }

    void advance(long now) {
        for (SlidingWindow w : windows) {
            w.advance(now);
        }
    }

    /** Pool utilisation: its own limits, or the mean of its keys' if that is higher (the pool is as full as its keys). */
    double utilisation() {
        double u = 0;
        for (SlidingWindow w : windows) {
            if (w.watched()) {
                continue; // as for a key's: a watched limit heats nothing
            }
            u = Math.max(u, w.utilisation());
        }
        if (keys.length > 0) {
            double sum = 0;
            for (KeyState k : keys) {
                sum += k.utilisation();
            }
            u = Math.max(u, sum / keys.length);
        }
        return u;
    }

    long millisUntilOldestExpires(long now, long fallback) {
        long best = Long.MAX_VALUE;
        for (KeyState k : keys) {
            for (OpenLease l : k.open.values()) {
                best = Math.min(best, l.expiresAtMillis);
                break;
            }
        }
        return best == Long.MAX_VALUE ? fallback : Math.max(1, Units.sub(best, now));
    }

    /**
     * The best key that admits the request now (by {@link #better}; exact ties go to the key first
     * in config order), or the refusal of the one that frees up first (ties: config order).
     * Keys are examined in {@link KeyOrder} order, stopping as soon as no key left can beat the best
     * one that admits; a refusal examines every key. The caller ran {@link KeyOrder#upkeep} at
     * {@code now}, so every key not refreshed is as a refresh would leave it.
     */
    Choice choose(long tokens, Priority priority, String agent, long now, long leaseTtlMillis, long probeWaitMillis) {
        return choose(tokens, priority, agent, now, leaseTtlMillis, probeWaitMillis, Admission.Lenience.STRICT);
    }

    /** As {@link #choose(long, Priority, String, long, long, long)}, skipping what {@code lenience} shadows. */
    Choice choose(long tokens, Priority priority, String agent, long now, long leaseTtlMillis, long probeWaitMillis,
                  Admission.Lenience lenience) {
        KeyState best = null;
        double bestRoom = -1;
        double bestTemp = 0;
        int bestHealth = -1;
        Admission.Block soonest = null;
        int soonestIndex = Integer.MAX_VALUE;
        KeyOrder o = order;
        try {
            KeyState k;
            while ((k = o.peek()) != null) {
                if (best != null) {
                    if (bestHealth < 0 && k.orderRoom == bestRoom && k.orderTemp == bestTemp && k.index > best.index) {
                        bestHealth = best.health(now).ordinal();
                    }
                    if (!KeyOrder.mayBeat(k, bestRoom, bestTemp, bestHealth, best)) {
                        break;
                    }
                }
                o.poll();
                if (tokens > k.maxTokens) {
                    continue;
                }
                k.advance(now); // evicts nothing (the key is not due); moves the horizon as a refresh would
                Admission.Block b = Admission.checkKey(this, k, tokens, priority, agent, now, leaseTtlMillis, probeWaitMillis,
                        lenience);
                if (b != null) {
                    if (soonest == null || b.retryMillis() < soonest.retryMillis()
                            || (b.retryMillis() == soonest.retryMillis() && k.index < soonestIndex)) {
                        soonest = b;
                        soonestIndex = k.index;
                    }
                    continue;
                }
                double room = k.room();
                double temp = k.thermal.temperature(now);
                boolean wins;
                if (best == null) {
                    wins = true;
                } else if (room != bestRoom || temp != bestTemp) {
                    wins = better(room, temp, 0, bestRoom, bestTemp, 0);
                } else {
                    // health is only compared on a tie of room and temperature: computed only then
                    if (bestHealth < 0) {
                        bestHealth = best.health(now).ordinal();
                    }
                    int health = k.health(now).ordinal();
                    wins = health != bestHealth ? health < bestHealth : k.index < best.index;
                    if (wins) {
                        bestHealth = health;
                    }
                }
                if (wins) {
                    if (best != null && (room != bestRoom || temp != bestTemp)) {
                        bestHealth = -1;
                    }
                    best = k;
                    bestRoom = room;
                    bestTemp = temp;
                }
            }
        } finally {
            o.restore();
        }
        return new Choice(best, best != null ? null : soonest);
    }

    /** Exactly one of key (admitted) and block (refused) is set. */
    record Choice(KeyState key, Admission.Block block) {
    }

    /** Can any key (and the pool) ever serve this many tokens? */
    boolean canEverServe(long tokens) {
        if (tokens > maxTokens) {
            return false;
        }
        for (KeyState k : keys) {
            if (tokens <= k.maxTokens) {
                return true;
            }
        }
        return false;
    }

    /** Selection order: most relative room, then coolest, then healthiest; ties keep config order. */
    static boolean better(double room, double temp, int health, double bestRoom, double bestTemp, int bestHealth) {
        if (room != bestRoom) {
            return room > bestRoom;
        }
        if (temp != bestTemp) {
            return temp < bestTemp;
        }
        return health < bestHealth;
    }
}
