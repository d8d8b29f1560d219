package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.pool;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A reload of a running engine (docs/architecture.md, "Changing limits in flight"), on a manual clock. */
class QuotaEngineReconfigureTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Map<String, Double> HALVES = Map.of("main", 0.5, "edge", 0.5);
    private final ManualClock clock = new ManualClock(T0);

    private static PoolSpec demo(long... rpm) {
        List<KeySpec> keys = new ArrayList<>();
        for (int i = 0; i < rpm.length; i++) {
            keys.add(key("k" + i, LimitSpec.requests(rpm[i], MINUTE)));
        }
        return new PoolSpec("p", keys, List.of(), 0, Preset.PREMIUM);
    }

    private QuotaEngine engine(Map<String, Double> shares, PoolSpec... pools) {
        return new QuotaEngine(Fixtures.config2(shares, pools).build(), clock, EngineListener.NONE);
    }

    private static EngineConfig with(QuotaEngine e, PoolSpec... pools) {
        EngineConfig c = e.config();
        return new EngineConfig(c.hubId(), List.of(pools), c.budgetShares(), c.settleMargin(), c.leaseTtl(), c.cooldown(), c.thermal());
    }

    private static int grantAll(QuotaEngine e, String pool, List<LeaseRecord> into) {
        int n = 0;
        while (e.acquire(req(pool, 1)) instanceof Decision.Admitted a) {
            into.add(a.lease());
            n++;
        }
        return n;
    }

    private static BudgetView budget(QuotaEngine e, LimitRef ref) {
        return e.budgetTable().stream().filter(b -> b.ref().equals(ref)).findFirst().orElseThrow();
    }

    @Test
    void aLoweredLimit_appliesToTheNextGrant_openLeasesStayValid_andTheWindowAdmitsNothingUntilItDrains() {
        QuotaEngine e = engine(Map.of("main", 1.0), demo(10));
        List<LeaseRecord> held = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            held.add(granted(e.acquire(req("p", 1))));
        }

        ConfigChange change = e.reconfigure(with(e, demo(4)), false);

        assertThat(change.lowered()).containsExactly("p/k0#0 10 -> 4");
        assertThat(denied(e.acquire(req("p", 1))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        for (LeaseRecord l : held) {
            assertThat(e.settle(ok(l, 0, clock))).isEqualTo(SettleResult.SETTLED);
        }
        clock.advance(Duration.ofSeconds(30));
        assertThat(e.acquire(req("p", 1))).isInstanceOf(Decision.Denied.class); // six in the window, above 4
        clock.advance(Duration.ofSeconds(31));
        assertThat(grantAll(e, "p", new ArrayList<>())).isEqualTo(4);
    }

    @Test
    void aRaisedLimit_heldBackUntilThePeerFoldedIt_thenHandsOutItsSplit() {
        QuotaEngine e = engine(HALVES, demo(10));
        LimitRef ref = LimitRef.ofKey("p", "k0", 0);

        ConfigChange change = e.reconfigure(with(e, demo(20)), true);

        assertThat(change.raised()).containsExactly("p/k0#0 10 -> 20");
        assertThat(change.holding()).isTrue();
        assertThat(budget(e, ref).budgetByHub()).containsEntry("main", 10L).containsEntry("edge", 10L);
        assertThat(grantAll(e, "p", new ArrayList<>())).as("the old budget while the peer has not folded it").isEqualTo(5);
        assertThat(e.holdingRaises()).isTrue();

        e.releaseRaises();

        assertThat(e.holdingRaises()).isFalse();
        assertThat(grantAll(e, "p", new ArrayList<>())).as("the new budget, once both folded it").isEqualTo(5);
    }

    @Test
    void aReloadFoldedByThePeer_isNotHeldBack() {
        QuotaEngine e = engine(HALVES, demo(10));
        e.reconfigure(with(e, demo(20)), false);
        assertThat(e.holdingRaises()).isFalse();
        assertThat(grantAll(e, "p", new ArrayList<>())).isEqualTo(10);
    }

    @Test
    void aLowerThenHigherReload_beforeThePeerFoldedEither_admitsUnderTheLowestOfTheThree() {
        QuotaEngine e = engine(HALVES, demo(20));
        e.reconfigure(with(e, demo(40)), true);
        e.reconfigure(with(e, demo(8)), true);
        e.reconfigure(with(e, demo(30)), true);
        assertThat(grantAll(e, "p", new ArrayList<>())).isEqualTo(4);
        e.releaseRaises();
        assertThat(grantAll(e, "p", new ArrayList<>())).isEqualTo(11);
    }

    @Test
    void aRemovedKey_getsNoNewLease_itsOpenLeaseSettles_andSnapshotsWaitForIt() throws Exception {
        QuotaEngine e = engine(Map.of("main", 1.0), demo(3, 3));
        List<LeaseRecord> held = new ArrayList<>();
        grantAll(e, "p", held);
        LeaseRecord onK1 = held.stream().filter(l -> l.keyId().equals("k1")).findFirst().orElseThrow();
        PoolSpec onlyK0 = new PoolSpec("p", List.of(key("k0", LimitSpec.requests(3, MINUTE))), List.of(), 0, Preset.PREMIUM);

        ConfigChange change = e.reconfigure(with(e, onlyK0), false);

        assertThat(change.removedKeys()).containsExactly("p/k1");
        assertThat(e.limitRefs()).containsExactly(LimitRef.ofKey("p", "k0", 0));
        assertThat(e.snapshotReady()).isFalse();
        for (LeaseRecord l : held) {
            e.settle(ok(l, 0, clock));
        }
        assertThat(e.snapshotReady()).isTrue();
        assertThat(e.settle(ok(onK1, 0, clock))).isEqualTo(SettleResult.ALREADY_SETTLED);
        clock.advance(Duration.ofSeconds(61));
        List<LeaseRecord> after = new ArrayList<>();
        grantAll(e, "p", after);
        assertThat(after).extracting(LeaseRecord::keyId).containsOnly("k0").hasSize(3);

        byte[] state = e.writeState();
        QuotaEngine fresh = new QuotaEngine(e.config(), clock, EngineListener.NONE);
        fresh.readState(state);
        assertThat(fresh.budgetTable()).isEqualTo(e.budgetTable());
    }

    @Test
    void aNewKeyAndANewPool_startWithTheirSplit() {
        QuotaEngine e = engine(HALVES, demo(10));
        PoolSpec other = new PoolSpec("q", List.of(key("x", LimitSpec.requests(6, MINUTE))), List.of(), 0, Preset.PREMIUM);

        ConfigChange change = e.reconfigure(with(e, demo(10, 8), other), true);

        assertThat(change.addedKeys()).containsExactly("p/k1");
        assertThat(change.addedPools()).containsExactly("q");
        assertThat(change.holding()).isFalse();
        assertThat(budget(e, LimitRef.ofKey("p", "k1", 0)).budgetByHub()).containsEntry("main", 4L).containsEntry("edge", 4L);
        assertThat(grantAll(e, "q", new ArrayList<>())).isEqualTo(3);
        assertThat(grantAll(e, "p", new ArrayList<>())).isEqualTo(9);
    }

    @Test
    void aRemovedPool_refusesAsUnknown_andItsOpenLeasesSettle() {
        QuotaEngine e = engine(Map.of("main", 1.0), demo(3),
                new PoolSpec("q", List.of(key("x", LimitSpec.requests(6, MINUTE))), List.of(), 0, Preset.PREMIUM));
        LeaseRecord l = granted(e.acquire(req("q", 1)));

        ConfigChange change = e.reconfigure(with(e, demo(3)), false);

        assertThat(change.removedPools()).containsExactly("q");
        assertThat(denied(e.acquire(req("q", 1))).code()).isEqualTo(RefusalCode.UNKNOWN_POOL);
        assertThat(e.settle(ok(l, 0, clock))).isEqualTo(SettleResult.SETTLED);
        assertThat(e.snapshotReady()).isTrue();
    }

    @Test
    void aChangeOfAWindowOrPreset_isRefused_andNothingChanges() {
        QuotaEngine e = engine(Map.of("main", 1.0), demo(10));
        List<BudgetView> before = e.budgetTable();
        PoolSpec longer = new PoolSpec("p", List.of(key("k0", LimitSpec.requests(10, Duration.ofHours(1)))), List.of(), 0, Preset.PREMIUM);
        PoolSpec preset = new PoolSpec("p", List.of(key("k0", LimitSpec.requests(20, MINUTE))), List.of(), 0, Preset.STANDARD);

        assertThatThrownBy(() -> e.reconfigure(with(e, longer), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pool p key k0: limit 0");
        assertThatThrownBy(() -> e.reconfigure(with(e, preset), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("preset PREMIUM -> STANDARD");
        assertThat(e.budgetTable()).isEqualTo(before);
        assertThat(e.config().pools()).containsExactly(demo(10));
    }

    @Test
    void transfersAndAReload_foldedInEitherOrder_giveTheSameBudgets_andNeverMoreThanTheNewLimit() {
        LimitRef ref = LimitRef.ofKey("p", "k0", 0);
        QuotaEngine a = engine(HALVES, demo(100));
        QuotaEngine b = engine(HALVES, demo(100));
        // edge gave 40 of its 50 before the reload; main folds the reload first, b the transfer first
        a.reconfigure(with(a, demo(20)), false);
        a.applyTransfer("t1", "edge", "main", Map.of(ref, 40L));
        b.applyTransfer("t1", "edge", "main", Map.of(ref, 40L));
        b.reconfigure(with(b, demo(20)), false);
        assertThat(a.budgetTable()).isEqualTo(b.budgetTable());
        assertThat(budget(a, ref).committed()).isEqualTo(20);
        a.applyTransferApplied("t1", "edge", "main", Map.of(ref, 40L));
        b.applyTransferApplied("t1", "edge", "main", Map.of(ref, 40L));
        assertThat(a.budgetTable()).isEqualTo(b.budgetTable());
        assertThat(budget(a, ref).budgetByHub()).containsEntry("main", 50L).containsEntry("edge", -30L);
        // main's budget is 50 of a limit of 20: admission reads at most the limit (pacing near it may stop it one short)
        assertThat(grantAll(a, "p", new ArrayList<>())).as("admission reads at most the new limit")
                .isLessThanOrEqualTo(20).isGreaterThan(10);
    }

    @Test
    void aSnapshotAfterAReload_restoresIntoAFreshEngineOfTheNewConfiguration_notTheOld() throws Exception {
        QuotaEngine e = engine(HALVES, demo(10));
        grantAll(e, "p", new ArrayList<>());
        e.reconfigure(with(e, demo(6, 4)), false);
        byte[] state = e.writeState();

        QuotaEngine fresh = new QuotaEngine(e.config(), clock, EngineListener.NONE);
        fresh.readState(state);

        assertThat(fresh.budgetTable()).isEqualTo(e.budgetTable());
        assertThatThrownBy(() -> QuotaEngine.checkState(with(e, demo(10)), clock, state))
                .isInstanceOf(EngineStateException.class);
    }
}
