package io.quotahub.engine;

import io.quotahub.engine.view.KeyView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.config2;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.outcome;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shadow mode and canary on a manual clock: a shadowed limit or pool grants what it would refuse
 * and says so, everything enforced stays enforced, a canary enforces for a stable share of the
 * agents, and a shadow grant counts in the windows like any grant, on both hubs.
 */
class QuotaEngineShadowTest {

    private final ManualClock clock = new ManualClock(T0);
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private static PoolSpec pool(String name, Enforcement mode, KeySpec... keys) {
        return new PoolSpec(name, List.of(keys), List.of(), 0, Preset.PREMIUM, PoolPolicy.ofDefaults(), false, mode, List.of());
    }

    private static KeySpec key(String id, LimitSpec... limits) {
        return new KeySpec(id, List.of(limits), 0);
    }

    private static AcquireRequest req(String pool, String agent) {
        return new AcquireRequest(pool, 1, Priority.NORMAL, agent, "r-" + agent + "-" + System.nanoTime());
    }

    private QuotaEngine engine(PoolSpec... pools) {
        return new QuotaEngine(config(pools).build(), clock, EngineListener.NONE);
    }

    private static KeyView key(QuotaEngine e, String pool, String key) {
        return e.view().pools().stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow()
                .keys().stream().filter(k -> k.id().equals(key)).findFirst().orElseThrow();
    }

    @Test
    void aShadowLimit_grantsWhatItWouldRefuse_andSaysWhy_whileTheEnforcedLimitStillRefuses() {
        QuotaEngine e = engine(pool("demo", Enforcement.ENFORCED,
                key("k1", LimitSpec.requests(5, MINUTE), LimitSpec.requests(2, MINUTE).withEnforcement(Enforcement.SHADOW))));

        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            decisions.add(e.acquire(req("demo", "a")));
        }

        assertThat(decisions.subList(0, 2)).allMatch(d -> d instanceof Decision.Admitted a && a.shadow() == null);
        assertThat(decisions.subList(2, 5)).allSatisfy(d -> {
            Refusal shadow = ((Decision.Admitted) d).shadow();
            assertThat(shadow.code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
            assertThat(shadow.keyId()).isEqualTo("k1");
            assertThat(shadow.limit()).isEqualTo("requests 2/PT1M");
        });
        Refusal enforced = denied(decisions.get(5));
        assertThat(enforced.code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        assertThat(enforced.limit()).isEqualTo("requests 5/PT1M");
        // the shadow grants are in the windows: the shadow limit shows 5 used of 2
        assertThat(key(e, "demo", "k1").limits().get(1).used()).isEqualTo(5);
    }

    @Test
    void aPoolInShadowMode_grantsEveryLease_butAKeysOwnWordStillHolds() {
        QuotaEngine e = engine(pool("demo", Enforcement.SHADOW, key("k1", LimitSpec.requests(2, MINUTE))));

        List<LeaseRecord> leases = new ArrayList<>();
        List<Refusal> shadows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Decision.Admitted a = (Decision.Admitted) e.acquire(req("demo", "a"));
            leases.add(a.lease());
            shadows.add(a.shadow());
        }
        assertThat(shadows.subList(0, 2)).containsOnlyNulls();
        assertThat(shadows.subList(2, 5)).allMatch(s -> s != null && s.code() == RefusalCode.QUOTA_EXHAUSTED);

        e.settle(outcome(leases.get(0), Outcome.AUTH_FAILED, Duration.ZERO, clock));

        assertThat(denied(e.acquire(req("demo", "a"))).code()).isEqualTo(RefusalCode.KEY_DISABLED);
    }

    @Test
    void aPoolInShadowMode_watchesItsConcurrencyCapToo() {
        PoolSpec capped = new PoolSpec("demo", List.of(key("k1", LimitSpec.requests(100, MINUTE))), List.of(), 1, Preset.PREMIUM,
                PoolPolicy.ofDefaults(), false, Enforcement.SHADOW, List.of());
        QuotaEngine e = engine(capped);

        granted(e.acquire(req("demo", "a")));
        Decision second = e.acquire(req("demo", "a"));

        assertThat(second).isInstanceOfSatisfying(Decision.Admitted.class,
                a -> assertThat(a.shadow().code()).isEqualTo(RefusalCode.CONCURRENCY));
    }

    @Test
    void aShadowLimit_neitherHeatsNorThrottlesTheKey() {
        QuotaEngine e = engine(pool("demo", Enforcement.ENFORCED,
                key("k1", LimitSpec.requests(1000, MINUTE), LimitSpec.requests(1, MINUTE).withEnforcement(Enforcement.SHADOW))));

        for (int i = 0; i < 40; i++) {
            assertThat(e.acquire(req("demo", "a"))).isInstanceOf(Decision.Admitted.class);
            clock.advance(Duration.ofMillis(100));
            e.tick();
        }

        KeyView k = key(e, "demo", "k1");
        assertThat(k.thermal().zone()).isEqualTo(Zone.OPTIMAL);
        assertThat(k.limits().get(1).used()).isEqualTo(40);
    }

    @Test
    void aShadowLimitSplitBetweenHubs_isJudgedAgainstTheWholeLimit_notThisHubsShare() {
        PoolSpec p = pool("demo", Enforcement.ENFORCED,
                key("k1", LimitSpec.requests(100, MINUTE), LimitSpec.requests(4, MINUTE).withEnforcement(Enforcement.SHADOW)));
        QuotaEngine e = new QuotaEngine(config2(Map.of("main", 0.5, "edge", 0.5), p).build(), clock, EngineListener.NONE);

        List<Refusal> shadows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            shadows.add(((Decision.Admitted) e.acquire(req("demo", "a"))).shadow());
        }

        // this hub's budget of the shadow limit is 2: the 3rd and 4th would have gone to the other hub, not been refused
        assertThat(shadows.subList(0, 4)).containsOnlyNulls();
        assertThat(shadows.get(4).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
    }

    @Test
    void aShadowGrant_isFoldedByThePeerLikeAnyGrant() {
        PoolSpec p = pool("demo", Enforcement.SHADOW, key("k1", LimitSpec.requests(2, MINUTE)));
        Map<String, Double> shares = Map.of("main", 0.5, "edge", 0.5);
        QuotaEngine main = new QuotaEngine(config2(shares, p).build(), clock, EngineListener.NONE);
        QuotaEngine edge = new QuotaEngine(EngineConfig.builder("edge").budgetShares(shares).pools(List.of(p)).build(), clock,
                EngineListener.NONE);

        for (int i = 0; i < 4; i++) {
            edge.replayGrant(granted(main.acquire(req("demo", "a"))));
        }

        assertThat(key(edge, "demo", "k1").limits().get(0).used()).isEqualTo(4).isEqualTo(key(main, "demo", "k1").limits().get(0).used());
        // the peer counts them too: its own next grant is a shadow grant over the whole limit
        assertThat(((Decision.Admitted) edge.acquire(req("demo", "b"))).shadow().code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
    }

    @Test
    void aCanary_enforcesForItsShareOfAgents_byAStableHash_andShadowsTheRest() {
        QuotaEngine e = engine(pool("demo", Enforcement.canary(30), key("k1", LimitSpec.requests(1, MINUTE))));
        granted(e.acquire(req("demo", "first")));

        int enforced = 0;
        List<Boolean> firstRound = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            boolean refused = e.acquire(req("demo", "agent-" + i)) instanceof Decision.Denied;
            firstRound.add(refused);
            enforced += refused ? 1 : 0;
            assertThat(refused).isEqualTo(Enforcement.bucket("agent-" + i) < 30);
        }

        assertThat(enforced / 2000.0).isBetween(0.26, 0.34);
        for (int i = 0; i < 2000; i++) {
            assertThat(e.acquire(req("demo", "agent-" + i)) instanceof Decision.Denied)
                    .as("agent-%d is treated as before", i).isEqualTo(firstRound.get(i));
        }
    }

    @Test
    void aCanaryAgentEnforcedAtTenPercent_isEnforcedAtFiftyToo() {
        Enforcement ten = Enforcement.canary(10);
        Enforcement fifty = Enforcement.canary(50);
        for (int i = 0; i < 1000; i++) {
            String agent = "worker-" + i;
            if (ten.enforcesFor(agent)) {
                assertThat(fifty.enforcesFor(agent)).isTrue();
            }
        }
        assertThat(Enforcement.bucket("")).isEqualTo(Integer.toUnsignedLong(0x811c9dc5) % 100);
        assertThat(Enforcement.bucket("a")).as("FNV-1a of 'a' is 0xe40c292c").isEqualTo((int) (0xe40c292cL % 100));
    }

    @Test
    void everyPoolAndLimitIsEnforcedByDefault() {
        PoolSpec p = Fixtures.pool("demo", Preset.PREMIUM, Fixtures.key("k1", LimitSpec.requests(1, MINUTE)));
        QuotaEngine e = engine(p);

        granted(e.acquire(req("demo", "a")));

        assertThat(p.hasShadow()).isFalse();
        assertThat(denied(e.acquire(req("demo", "a"))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
    }
}
