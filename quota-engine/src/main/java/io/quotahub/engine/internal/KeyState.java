package io.quotahub.engine.internal;


import io.quotahub.engine.CircuitState;
import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.Health;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.ThermalConfig;
import io.quotahub.engine.Zone;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything the engine knows about one key. Guarded by its pool's lock. */
final class KeyState {

    /** Its configuration; a reload may change capacities and max-concurrent ({@link #reconfigure}). */
    KeySpec spec;
    final String pool;
    /** Its place in the pool's configuration order (ties of key selection); a reload may move it. */
    int index;
    final SlidingWindow[] windows;
    final KeyGuard guard;
    final Thermal thermal;
    BurstGuard burst;
    private final double throttleAt;
    /** Smallest TOKENS capacity: a request for more tokens can never be served by this key. */
    long maxTokens;
    /** Open leases in grant order (for max-concurrent and its retry time). */
    final Map<String, OpenLease> open = new LinkedHashMap<>();
    /**
     * Per agent holding leases of this key: unsettled units per limit, then its number of leases here;
     * only with a fair-share policy (else null), see {@link AgentShares}.
     */
    Map<String, long[]> agentUnits;

    // place in its pool's KeyOrder (guarded by the pool's lock)
    KeyOrder order;
    /** Cached {@link #room()} and {@link Thermal#temperatureFloor()}: the key's place in the order heap. */
    double orderRoom;
    double orderTemp;
    int orderPos;
    /** When a refresh could next change anything (see {@link #nextUpkeepAt}); index in the due heap. */
    long dueAt;
    int duePos;
    boolean touched;
    boolean inTouchedList;
    boolean inUpkeep;

    long lastGrantAt = Long.MIN_VALUE;
    Zone zone = Zone.OPTIMAL;
    long granted;
    long refused;
    long rateLimited;
    long errors;
    /** Whether an observed lower limit lowers the limit the engine enforces (the pool's learn-limits). */
    boolean learnLimits;
    /** Units of external use booked into this key's limits so far (all hubs' bookings). */
    long externalBooked;
    /** Per limit: the provider's limit as last observed (null: never), see {@link ProviderReports}. */
    final io.quotahub.engine.LimitObservation[] observed;

    KeyState(String pool, KeySpec spec, int index, Preset preset, Budgets budgets, long marginMillis,
             CooldownConfig cooldown, ThermalConfig thermalConfig) {
        this.spec = spec;
        this.pool = pool;
        this.index = index;
        List<LimitSpec> limits = spec.limits();
        this.windows = new SlidingWindow[limits.size()];
        for (int i = 0; i < windows.length; i++) {
            String ref = pool + "/" + spec.id() + "#" + i;
            windows[i] = new SlidingWindow(limits.get(i), ref, marginMillis, budgets.register(ref, limits.get(i).capacity()));
            windows[i].owner = this;
        }
        this.observed = new io.quotahub.engine.LimitObservation[limits.size()];
        this.guard = new KeyGuard(cooldown);
        this.throttleAt = thermalConfig.throttleAt(preset);
        this.thermal = new Thermal(thermalConfig, throttleAt);
        this.burst = BurstGuard.forKey(guarding(limits), preset);
        this.maxTokens = smallestTokens(limits);
    }

    /** The limits that protect the key: one in shadow or canary mode is watched, and drives no burst guard. */
    private static List<LimitSpec> guarding(List<LimitSpec> limits) {
        return limits.stream().filter(l -> l.enforcement().enforcesAll()).toList();
    }

    private static long smallestTokens(List<LimitSpec> limits) {
        return limits.stream().filter(l -> l.kind() == LimitKind.TOKENS)
                .mapToLong(LimitSpec::capacity).min().orElse(Long.MAX_VALUE);
    }

    /**
     * A reload: the same limits (kind and length) with new capacities, a new max-concurrent, a new
     * place in the pool. The burst guard starts over only if its rate changed.
     */
    void reconfigure(KeySpec next, int newIndex, Preset preset, boolean holdRaises) {
        for (int i = 0; i < windows.length; i++) {
            windows[i].reconfigure(next.limits().get(i), holdRaises);
        }
        if (BurstGuard.maxPerInterval(guarding(spec.limits()), preset.burstFactor())
                != BurstGuard.maxPerInterval(guarding(next.limits()), preset.burstFactor())) {
            burst = BurstGuard.forKey(guarding(next.limits()), preset);
        }
        spec = next;
        index = newIndex;
        maxTokens = smallestTokens(next.limits());
        touch();
    }

    /**
     * Spacing of grants while throttled: per/capacity (the sustainable rate) of the tightest REQUESTS
     * limit that is at the throttle threshold now; 0 = no pacing. Only hot limits pace, so a key whose
     * daily quota just reset is not held to one grant per (day/capacity) during its recovery window.
     */
    long pacingMillis() {
        long spacing = 0;
        for (SlidingWindow w : windows) {
            if (w.spec.kind() == LimitKind.REQUESTS && !w.watched() && w.utilisation() >= throttleAt) {
                spacing = Math.max(spacing, spacing(w.spec));
            }
        }
        return spacing;
    }

    /**
     * How far below its throttle threshold a block may take a key's utilisation: a block's calls are
     * counted at its settle time, so the utilisation the throttle sees runs above the calls made by
     * up to the calls of blocks settled within the window, and the agents' own calls come in bursts.
     */
    static final double BLOCK_MARGIN = 0.10;

    /**
     * Calls of {@code tokensPerCall} that fit while the key's utilisation (every enforced limit) stays
     * {@link #BLOCK_MARGIN} below its throttle threshold: the most a block may reserve without heating
     * the key towards its throttle by itself (docs/architecture.md, "Block leases").
     */
    long callsBelowThrottle(long tokensPerCall) {
        long calls = Long.MAX_VALUE;
        for (SlidingWindow w : windows) {
            long unit = w.cost(1, tokensPerCall);
            if (!w.watched() && unit > 0) {
                calls = Math.min(calls, w.unitsBelow(throttleAt - BLOCK_MARGIN) / unit);
            }
        }
        return calls;
    }

    static long spacing(LimitSpec l) {
        return Math.max(1, Units.millis(l.per()) / l.capacity());
    }

    String id() {
        return spec.id();
    }

    void advance(long now) {
        for (SlidingWindow w : windows) {
            w.advance(now);
        }
    }

    /** Something about this key changed outside a decision's refresh (see {@link KeyOrder}). */
    void touch() {
        if (order != null) {
            order.touch(this);
        }
    }

    /**
     * Brings the key to {@code now} for a decision: windows, circuit, throttle hysteresis, zone.
     * Records circuit and zone changes in {@code events}.
     */
    void refresh(long now, Events events, String pool) {
        advance(now);
        CircuitState before = guard.refresh(now);
        if (before != null) {
            events.circuit(pool, id(), before, guard.circuit());
        }
        thermal.observe(utilisation(), now);
        events.zone(pool, id(), updateZone(now), zone);
    }

    /**
     * The earliest time after {@code now} (just refreshed) at which {@link #refresh} could change
     * anything, if nothing touches the key before: a settled entry leaves a window, the circuit's
     * open period, a cooldown or a block ends, error heat cools the key into another zone; or the
     * next millisecond while the throttle is on or utilisation is at its threshold (the hysteresis
     * observes every decision then).
     */
    long nextUpkeepAt(long now) {
        long t = guard.nextChangeAt(now);
        for (SlidingWindow w : windows) {
            t = Math.min(t, w.nextEvictionAt(now));
        }
        if (thermal.watching(utilisation())) {
            return now + 1;
        }
        t = Math.min(t, thermal.zoneChangeAt(now));
        return Math.max(now + 1, t);
    }

    /**
     * Max over limits of used (all hubs) / capacity. Call {@link #advance} first. A limit in shadow or
     * canary mode is left out: it is watched, and what it would refuse must not heat, throttle or
     * shed the key for the agents it does not enforce for.
     */
    double utilisation() {
        double u = 0;
        for (SlidingWindow w : windows) {
            if (w.watched()) {
                continue;
            }
            u = Math.max(u, w.utilisation());
        }
        return u;
    }

    /** Min over the enforced limits of this hub's relative room left: what selection maximises. */
    double room() {
        double r = 1;
        for (SlidingWindow w : windows) {
            if (w.watched()) {
                continue;
            }
            r = Math.min(r, w.room());
        }
        return r;
    }

    /** The key's zone now; remembers it. @return the previous zone if it changed, else null */
    Zone updateZone(long now) {
        Zone z = thermal.zone(now, guard.coolingDown(now));
        if (z == zone) {
            return null;
        }
        Zone before = zone;
        zone = z;
        return before;
    }

    int healthScore(long now) {
        return HealthScore.score(thermal.temperature(now), thermal.errorRate(), guard.circuit(),
                guard.coolingDown(now), guard.disabled());
    }

    Health health(long now) {
        return HealthScore.classify(guard.disabled(), guard.circuit(), guard.blocked(now), guard.coolingDown(now),
                thermal.zone(now, guard.coolingDown(now)));
    }

    /** Milliseconds until the oldest open lease of this key expires (at least 1). */
    long millisUntilOldestExpires(long now, long fallback) {
        for (OpenLease l : open.values()) {
            return Math.max(1, Units.sub(l.expiresAtMillis, now));
        }
        return fallback;
    }
}
