package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget protocol over random runs of two hubs (see {@link TwoHubSim}): grants, settles,
 * transfers (some reverted), receipts, takeovers and rejoins. I1 and I2 hold after every step on
 * every live hub; afterwards both hubs, and fresh engines of either hub replaying both ledgers in
 * other causally valid orders, show the same budget table; in any order that keeps each ledger's
 * own order (even a TransferApplied before its Transfer) the budgets and in-flight units agree.
 */
class BudgetProtocolPropertyTest {

    @Property(tries = 200)
    void twoEnginesFedTheSameEventsInDifferentCausalOrdersEndWithTheSameBudgetTable(@ForAll long seed) {
        Random rnd = new Random(seed);
        List<KeySpec> keys = new ArrayList<>();
        int keyCount = 1 + rnd.nextInt(3);
        for (int i = 0; i < keyCount; i++) {
            keys.add(new KeySpec("k" + i, List.of(LimitSpec.requests(4 + rnd.nextInt(20), Duration.ofMillis(1000 + rnd.nextInt(5000))),
                    LimitSpec.tokens(100 + rnd.nextInt(400), Duration.ofSeconds(3))), 0));
        }
        List<LimitSpec> poolLimits = rnd.nextBoolean() ? List.of()
                : List.of(LimitSpec.requests(5 + rnd.nextInt(20), Duration.ofMillis(1000 + rnd.nextInt(4000))));
        PoolSpec pool = new PoolSpec("p", keys, poolLimits, 0, Preset.PREMIUM);
        int share = rnd.nextInt(11);
        Map<String, Double> shares = Map.of("main", share / 10.0, "edge", (10 - share) / 10.0);
        Duration margin = Duration.ofMillis(rnd.nextInt(300));
        Duration ttl = Duration.ofHours(1);
        TwoHubSim sim = new TwoHubSim(seed, List.of(pool), shares, margin, ttl, false);

        int steps = 150 + rnd.nextInt(250);
        for (int i = 0; i < steps; i++) {
            sim.step("p", rnd.nextInt(5) == 0 ? 0 : rnd.nextInt(60));
        }
        sim.quiesce();
        sim.checkInvariants();

        List<BudgetView> mainTable = sim.hub("main").engine.budgetTable();
        assertThat(sim.hub("edge").engine.budgetTable()).as("seed %d: both hubs", seed).isEqualTo(mainTable);
        for (String hub : TwoHubSim.HUBS) {
            for (int r = 0; r < 2; r++) {
                QuotaEngine replay = TwoHubSim.engine(hub, List.of(pool), shares, margin, ttl, sim.clock);
                for (TwoHubSim.Ev ev : sim.randomOrder(rnd, true)) {
                    TwoHubSim.fold(replay, ev);
                    TwoHubSim.assertI1(replay.budgetTable(), "replay of " + hub);
                }
                assertThat(replay.budgetTable()).as("seed %d: causal replay at %s", seed, hub).isEqualTo(mainTable);
            }
            QuotaEngine anyOrder = TwoHubSim.engine(hub, List.of(pool), shares, margin, ttl, sim.clock);
            for (TwoHubSim.Ev ev : sim.randomOrder(rnd, false)) {
                TwoHubSim.fold(anyOrder, ev);
            }
            assertThat(anyOrder.budgetTable()).as("seed %d: budgets in any order at %s", seed, hub)
                    .extracting(BudgetView::ref, BudgetView::budgetByHub, BudgetView::inFlight)
                    .isEqualTo(mainTable.stream().map(b -> org.assertj.core.groups.Tuple.tuple(b.ref(), b.budgetByHub(), b.inFlight())).toList());
        }
    }
}
