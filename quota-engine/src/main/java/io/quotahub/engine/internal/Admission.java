package io.quotahub.engine.internal;

import io.quotahub.engine.Priority;
import io.quotahub.engine.RefusalCode;
import io.quotahub.engine.Zone;

import java.util.Locale;

/**
 * Whether one key (or the pool itself) may take a lease now, and if not why and for how long.
 * Checks, in order: disabled, cooldown/circuit, max-concurrent, the agent's fair share (when the
 * pool's policy sets one, {@link AgentShares}), load shedding, burst, windows, pacing. HIGH priority skips shedding and pacing only; every limit, budget and cooldown applies
 * to it. Windows report the limit that frees up last (all must fit). Pure reads: the pool's lock
 * is held and windows were advanced by the caller.
 */
final class Admission {

    /** A refusal in the making: the code, retry time and human reason. */
    record Block(RefusalCode code, long retryMillis, String keyId, String limit, String message) {
    }

    /**
     * What a decision enforces when a pool or some of its limits are in shadow or canary mode for
     * the asking agent (docs/operations.md, "Shadow mode and canary"):
     * <ul>
     *   <li>{@link #STRICT}: everything, as for any enforced pool;</li>
     *   <li>a lenience ({@link #shadowFor}): the shadowed limits' windows are skipped — their
     *       capacity and this hub's budget of them — and, when the whole pool is shadowed for the
     *       agent, every policy check too (concurrency, fair share, shedding, burst, pacing). A
     *       key's own word (disabled, cooling down, open circuit) is never skipped: the provider
     *       refuses such calls anyway;</li>
     *   <li>its {@link #watching()} form: everything checked again, with the shadowed windows
     *       judged against the whole limit (all hubs' use) instead of this hub's budget — what
     *       enforcing the policy would have answered; a share of a limit that only this hub has
     *       used up would have sent the agent to the other hub, not to a refusal.</li>
     * </ul>
     */
    static final class Lenience {

        static final Lenience STRICT = new Lenience(true, false, null, false);

        private final boolean strict;
        private final boolean poolShadowed;
        private final String agent;
        private final boolean watch;

        private Lenience(boolean strict, boolean poolShadowed, String agent, boolean watch) {
            this.strict = strict;
            this.poolShadowed = poolShadowed;
            this.agent = agent;
            this.watch = watch;
        }

        /** What {@code agent} is shadowed for in {@code pool}; null when everything is enforced for it. */
        static Lenience shadowFor(io.quotahub.engine.PoolSpec pool, String agent) {
            if (!pool.hasShadow()) {
                return null;
            }
            boolean poolShadowed = !pool.enforcement().enforcesFor(agent);
            if (poolShadowed) {
                return new Lenience(false, true, agent, false);
            }
            boolean anyLimit = pool.limits().stream().anyMatch(l -> !l.enforcement().enforcesFor(agent))
                    || pool.keys().stream().flatMap(k -> k.limits().stream()).anyMatch(l -> !l.enforcement().enforcesFor(agent));
            return anyLimit ? new Lenience(false, false, agent, false) : null;
        }

        /** Everything checked, shadowed windows against the whole limit: the refusal enforcement would have made. */
        Lenience watching() {
            return new Lenience(false, poolShadowed, agent, true);
        }

        /** Whether the policy checks (not the windows, not the key's own word) are skipped. */
        boolean skipsPolicy() {
            return poolShadowed && !watch;
        }

        private boolean shadows(SlidingWindow w) {
            return !strict && (poolShadowed || !w.spec.enforcement().enforcesFor(agent));
        }

        private boolean skips(SlidingWindow w) {
            return !watch && shadows(w);
        }

        private boolean judgesWholeLimit(SlidingWindow w) {
            return watch && shadows(w);
        }
    }

    private Admission() {
    }

    static Block checkPool(PoolState pool, long tokens, long now, long leaseTtlMillis) {
        return checkPool(pool, tokens, now, leaseTtlMillis, Lenience.STRICT);
    }

    static Block checkPool(PoolState pool, long tokens, long now, long leaseTtlMillis, Lenience lenience) {
        int max = pool.spec.maxConcurrent();
        if (max > 0 && pool.inFlight >= max && !lenience.skipsPolicy()) {
            long retry = pool.millisUntilOldestExpires(now, leaseTtlMillis);
            return new Block(RefusalCode.CONCURRENCY, retry, null, null,
                    "pool " + pool.name() + ": " + pool.inFlight + "/" + max + " concurrent leases; retry in " + human(retry));
        }
        return checkWindows(pool.windows, tokens, now, leaseTtlMillis, pool, null, lenience);
    }

    static Block checkKey(PoolState pool, KeyState key, long tokens, Priority priority, String agent, long now,
                          long leaseTtlMillis, long probeWaitMillis) {
        return checkKey(pool, key, tokens, priority, agent, now, leaseTtlMillis, probeWaitMillis, Lenience.STRICT);
    }

    static Block checkKey(PoolState pool, KeyState key, long tokens, Priority priority, String agent, long now,
                          long leaseTtlMillis, long probeWaitMillis, Lenience lenience) {
        KeyGuard guard = key.guard;
        RefusalCode blocked = guard.blockedBy(now);
        if (blocked != null) {
            long retry = Math.max(1, guard.millisUntilUnblocked(now, probeWaitMillis));
            String why = switch (blocked) {
                case KEY_DISABLED -> "is disabled after an auth failure until an operator enables it";
                case COOLDOWN -> "cools down after provider errors until " + java.time.Instant.ofEpochMilli(guard.cooldownUntil());
                default -> guard.circuit() == io.quotahub.engine.CircuitState.OPEN
                        ? "has an open circuit after repeated failures" : "is half-open and waits for its probe";
            };
            return new Block(blocked, retry, key.id(), null, who(pool, key) + " " + why + "; retry in " + human(retry));
        }
        boolean policy = !lenience.skipsPolicy();
        int max = key.spec.maxConcurrent();
        if (policy && max > 0 && key.open.size() >= max) {
            long retry = key.millisUntilOldestExpires(now, leaseTtlMillis);
            return new Block(RefusalCode.CONCURRENCY, retry, key.id(), null,
                    who(pool, key) + ": " + key.open.size() + "/" + max + " concurrent leases; retry in " + human(retry));
        }
        if (policy && pool.shares != null) {
            Block share = pool.shares.checkKey(key, agent, tokens, now, leaseTtlMillis);
            if (share != null) {
                return share;
            }
        }
        if (policy && priority == Priority.LOW && key.zone.compareTo(Zone.CRITICAL) >= 0) {
            long retry = Math.max(1000, key.thermal.throttled() ? key.thermal.recoveryRemainingMillis(now) : 1000);
            return new Block(RefusalCode.SHED, retry, key.id(), null,
                    who(pool, key) + " is " + key.zone + ": low-priority work is shed; retry in " + human(retry));
        }
        if (policy && key.burst != null) {
            long wait = key.burst.millisUntilAllowed(now);
            if (wait > 0) {
                return new Block(RefusalCode.BURST, wait, key.id(), null, who(pool, key) + ": burst protection allows "
                        + key.burst.max() + " requests per " + BurstGuard.INTERVAL_MILLIS / 1000 + " s; retry in " + human(wait));
            }
        }
        Block windows = checkWindows(key.windows, tokens, now, leaseTtlMillis, pool, key, lenience);
        if (windows != null) {
            return windows;
        }
        if (policy && priority != Priority.HIGH && key.thermal.throttled() && key.lastGrantAt != Long.MIN_VALUE) {
            long spacing = key.pacingMillis();
            long wait = pacingWait(key.lastGrantAt, spacing, now);
            if (wait > 0) {
                return new Block(RefusalCode.THROTTLED, wait, key.id(), null, who(pool, key) + " is throttled to one lease per "
                        + human(spacing) + "; retry in " + human(wait));
            }
        }
        return null;
    }

    /**
     * Time until the next paced slot: one grant per {@code spacing}, so never more than one spacing
     * (a replayed grant dated in the future must not hold the key back for longer).
     */
    static long pacingWait(long lastGrantAt, long spacing, long now) {
        return Units.clamp(Units.sub(Units.add(lastGrantAt, spacing), now), 0, spacing);
    }

    private static Block checkWindows(SlidingWindow[] windows, long tokens, long now, long leaseTtlMillis,
                                      PoolState pool, KeyState key, Lenience lenience) {
        Block worst = null;
        for (SlidingWindow w : windows) {
            if (lenience.skips(w)) {
                continue;
            }
            long cost = w.cost(tokens);
            if (lenience.judgesWholeLimit(w)) {
                if (Units.add(w.usedAll(), cost) > w.capacity() && (worst == null || leaseTtlMillis > worst.retryMillis())) {
                    String limit = w.spec.describe();
                    worst = new Block(RefusalCode.QUOTA_EXHAUSTED, leaseTtlMillis, key == null ? null : key.id(), limit,
                            who(pool, key) + ": " + limit + " (" + w.spec.enforcement().describe() + ") would be full ("
                                    + w.usedAll() + "/" + w.capacity() + " used" + (cost > 1 ? ", " + cost + " asked" : "") + ")");
                }
                continue;
            }
            if (w.admits(cost)) {
                continue;
            }
            long retry = w.millisUntilFits(now, cost);
            if (retry <= 0) {
                // unsettled leases hold the room: they free it by their expiry at the latest, which for
                // a pool with blocks is soon (a block's expiry), not a lease TTL away
                retry = pool.spec.blocks().enabled() ? pool.millisUntilOldestExpires(now, leaseTtlMillis) : leaseTtlMillis;
            }
            if (worst == null || retry > worst.retryMillis()) {
                worst = windowBlock(w, cost, retry, who(pool, key), key == null ? null : key.id());
            }
        }
        return worst;
    }

    private static Block windowBlock(SlidingWindow w, long cost, long retry, String who, String keyId) {
        long capacity = w.capacity();
        String limit = w.spec.describe();
        if (Units.add(w.usedAll(), cost) > capacity || w.budget() >= capacity) {
            return new Block(RefusalCode.QUOTA_EXHAUSTED, retry, keyId, limit, who + ": " + limit + " is full ("
                    + w.usedAll() + "/" + capacity + " used" + (cost > 1 ? ", " + cost + " asked" : "")
                    + "); retry in " + human(retry));
        }
        return new Block(RefusalCode.BUDGET_EXHAUSTED, retry, keyId, limit, who + ": this hub's budget of " + limit
                + " is used up (" + w.usedOwn() + "/" + w.budget() + " of its budget, " + w.usedAll() + "/" + capacity
                + " used by all hubs); retry in " + human(retry));
    }

    /** Who refused, for messages: built only when refusing, never on the granting path. */
    private static String who(PoolState pool, KeyState key) {
        return key == null ? "pool " + pool.name() : "key " + key.id() + " of pool " + pool.name();
    }

    static String human(long millis) {
        if (millis < 1000) {
            return millis + " ms";
        }
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
