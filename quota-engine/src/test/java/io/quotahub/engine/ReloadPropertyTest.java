package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reloads in the two-hub simulation ({@link TwoHubSim}): while grants, settles, expiries,
 * transfers (in flight across a reload too), takeovers and rejoins go on, a live hub now and then
 * accepts new pools — capacities lowered and raised at random, keys added and removed — and its
 * peer follows when it folds the reload. After every step I1 holds on both hubs (raw budgets and
 * in flight within the limit, and what admission reads of them); at the end both hubs show the same
 * budget table; and the provider never sees an interval of a limit hold more than the limit in
 * force for both hubs when its calls were granted: from the switch on (both hubs folded the
 * reload) the new one, before it the old one — so a lowered limit holds from the switch on, and a
 * raised limit's extra room is used only after it.
 */
class ReloadPropertyTest {

    /** What the provider may have seen of one lease: the call anywhere in [grant, end]. */
    private record Call(String key, long grant, long end, long tokens, String hub) {
    }

    @Test
    void reloadsWithLoweredAndRaisedLimitsAndTransfersInFlight_keepI1_andNoWindowAboveTheLimitInForceForBoth() {
        int reloads = 0;
        int lowered = 0;
        int raised = 0;
        for (long seed = 1; seed <= 400; seed++) {
            Random rnd = new Random(seed * 7919 + 3);
            List<KeySpec> keys = new ArrayList<>();
            int keyCount = 1 + rnd.nextInt(3);
            for (int i = 0; i < keyCount; i++) {
                keys.add(new KeySpec("k" + i, limits(rnd), 0));
            }
            List<LimitSpec> poolLimits = rnd.nextBoolean() ? List.of()
                    : List.of(LimitSpec.requests(4 + rnd.nextInt(10), Duration.ofMillis(1000 + rnd.nextInt(4000))));
            PoolSpec pool = new PoolSpec("p", keys, poolLimits, 0, Preset.values()[rnd.nextInt(Preset.values().length)]);
            int share = rnd.nextInt(11);
            Map<String, Double> shares = Map.of("main", share / 10.0, "edge", (10 - share) / 10.0);
            Random changes = new Random(seed);
            int[] next = {keyCount};
            int[] moves = new int[2];
            TwoHubSim sim = new TwoHubSim(seed, List.of(pool), shares, Duration.ofMillis(rnd.nextInt(300)),
                    Duration.ofMillis(500 + rnd.nextInt(4000)), true)
                    .withReloads(12, pools -> List.of(change(pools.get(0), changes, next, moves)));
            int steps = 200 + rnd.nextInt(300);
            for (int step = 0; step < steps; step++) {
                sim.step("p", rnd.nextInt(5) == 0 ? 0 : rnd.nextInt(60));
            }
            sim.quiesce();
            sim.checkInvariants();
            // budgets and units in flight (windows differ: hubs expire each other's leases, see TwoHubSim)
            assertThat(budgets(sim.hub("edge").engine.budgetTable())).as("seed %d: both hubs end alike", seed)
                    .isEqualTo(budgets(sim.hub("main").engine.budgetTable()));
            assertThat(sim.hub("edge").engine.config().pools()).isEqualTo(sim.hub("main").engine.config().pools());
            checkProvider(sim, "seed " + seed);
            reloads += sim.reloads;
            lowered += moves[0];
            raised += moves[1];
        }
        assertThat(reloads).as("reloads happened").isGreaterThan(1000);
        assertThat(lowered).as("limits lowered").isGreaterThan(1000);
        assertThat(raised).as("limits raised").isGreaterThan(1000);
    }

    private static List<String> budgets(List<BudgetView> table) {
        return table.stream().map(b -> b.ref() + " " + b.capacity() + " " + new java.util.TreeMap<>(b.budgetByHub()) + " " + b.inFlight())
                .toList();
    }

    private static List<LimitSpec> limits(Random rnd) {
        List<LimitSpec> limits = new ArrayList<>();
        limits.add(LimitSpec.requests(2 + rnd.nextInt(8), Duration.ofMillis(500 + rnd.nextInt(3000))));
        if (rnd.nextBoolean()) {
            limits.add(LimitSpec.tokens(60 + rnd.nextInt(150), Duration.ofMillis(1000 + rnd.nextInt(3000))));
        }
        return limits;
    }

    /** New capacities (a third to twice the old), sometimes a key added or removed. */
    private static PoolSpec change(PoolSpec p, Random rnd, int[] nextKey, int[] moves) {
        List<KeySpec> keys = new ArrayList<>();
        for (KeySpec k : p.keys()) {
            keys.add(new KeySpec(k.id(), scale(k.limits(), rnd, moves), k.maxConcurrent()));
        }
        if (rnd.nextInt(5) == 0) {
            keys.add(new KeySpec("k" + nextKey[0]++, limits(rnd), 0));
        } else if (rnd.nextInt(5) == 0 && keys.size() > 1) {
            keys.remove(rnd.nextInt(keys.size()));
        }
        return new PoolSpec(p.name(), keys, scale(p.limits(), rnd, moves), p.maxConcurrent(), p.preset(), p.policy());
    }

    private static List<LimitSpec> scale(List<LimitSpec> limits, Random rnd, int[] moves) {
        List<LimitSpec> out = new ArrayList<>();
        for (LimitSpec l : limits) {
            long c = Math.max(1, Math.round(l.capacity() * (0.33 + rnd.nextDouble() * 1.67)));
            moves[c < l.capacity() ? 0 : 1] += c == l.capacity() ? 0 : 1;
            out.add(new LimitSpec(l.kind(), c, l.per(), l.calendarDayZone()));
        }
        return out;
    }

    /** The capacity of a limit for a call granted at {@code grant}: in the pools both hubs had folded then. */
    private static long capacityAt(TwoHubSim sim, String key, int index, long grant) {
        int v = sim.versionAt(grant);
        for (int u = v; u < sim.versions.size(); u++) { // a key added by the reload in flight: its new limit
            Long c = capacity(sim.versions.get(u).get(0), key, index);
            if (c != null) {
                return c;
            }
        }
        for (int u = v - 1; u >= 0; u--) { // a key removed since: its last limit
            Long c = capacity(sim.versions.get(u).get(0), key, index);
            if (c != null) {
                return c;
            }
        }
        throw new AssertionError("no limit " + key + "#" + index);
    }

    private static Long capacity(PoolSpec pool, String key, int index) {
        if (key == null) {
            return pool.limits().size() > index ? pool.limits().get(index).capacity() : null;
        }
        return pool.keys().stream().filter(k -> k.id().equals(key)).findFirst()
                .map(k -> k.limits().size() > index ? k.limits().get(index).capacity() : null).orElse(null);
    }

    private static void checkProvider(TwoHubSim sim, String context) {
        List<Call> calls = new ArrayList<>();
        for (LeaseRecord l : sim.leases.values()) {
            long[] end = sim.ends.getOrDefault(l.leaseId(), new long[] {l.expiresAt().toEpochMilli(), l.tokens()});
            calls.add(new Call(l.keyId(), l.grantedAt().toEpochMilli(), end[0], end[1], l.hubId()));
        }
        java.util.Set<String> keys = new java.util.TreeSet<>();
        sim.versions.values().forEach(v -> v.get(0).keys().forEach(k -> keys.add(k.id())));
        PoolSpec first = sim.versions.get(0).get(0);
        for (String key : keys) {
            List<Call> ofKey = calls.stream().filter(c -> c.key().equals(key)).toList();
            LimitSpec shape = sim.versions.values().stream().flatMap(v -> v.get(0).keys().stream())
                    .filter(k -> k.id().equals(key)).findFirst().orElseThrow().limits().get(0);
            int n = sim.versions.values().stream().flatMap(v -> v.get(0).keys().stream())
                    .filter(k -> k.id().equals(key)).findFirst().orElseThrow().limits().size();
            for (int i = 0; i < n; i++) {
                KeySpec any = sim.versions.values().stream().flatMap(v -> v.get(0).keys().stream())
                        .filter(k -> k.id().equals(key)).findFirst().orElseThrow();
                assertWithinLimits(sim, ofKey, key, i, any.limits().get(i), context + " key " + key + "#" + i);
            }
            assertThat(shape).isNotNull();
        }
        for (int i = 0; i < first.limits().size(); i++) {
            assertWithinLimits(sim, calls, null, i, first.limits().get(i), context + " pool limit " + i);
        }
    }

    /**
     * Brute force over every interval [a, a + per) that can be fullest: a lease with presence
     * [grant, end] counts in it iff grant < a + per and end >= a; the bound is the largest capacity
     * in force (for both hubs) at the grant of a lease it holds.
     */
    private static void assertWithinLimits(TwoHubSim sim, List<Call> calls, String key, int index, LimitSpec shape, String context) {
        long per = shape.per().toMillis();
        List<Long> starts = new ArrayList<>();
        for (Call c : calls) {
            starts.add(c.grant() - per + 1);
            starts.add(c.end());
        }
        long[] bound = new long[calls.size()];
        for (int i = 0; i < calls.size(); i++) {
            bound[i] = capacityAt(sim, key, index, calls.get(i).grant());
        }
        for (long a : starts) {
            long sum = 0;
            long limit = 0;
            for (int i = 0; i < calls.size(); i++) {
                Call c = calls.get(i);
                if (c.grant() < a + per && c.end() >= a) {
                    sum += shape.kind() == LimitKind.TOKENS ? c.tokens() : 1;
                    limit = Math.max(limit, bound[i]);
                }
            }
            assertThat(sum).as("%s: %s holds %d in [%s, +%d ms)", context, shape.kind(), sum, Instant.ofEpochMilli(a), per)
                    .isLessThanOrEqualTo(limit);
        }
    }
}
