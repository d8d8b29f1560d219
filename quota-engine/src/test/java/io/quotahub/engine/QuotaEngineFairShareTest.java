package io.quotahub.engine;

import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** Fair share (PoolPolicy): max open leases and max share of any limit per agent. */
class QuotaEngineFairShareTest {

    private final ManualClock clock = new ManualClock(T0);
    private static final Duration TTL = Duration.ofSeconds(60);

    private QuotaEngine engine(PoolPolicy policy, List<LimitSpec> poolLimits, KeySpec... keys) {
        PoolSpec pool = new PoolSpec("p", List.of(keys), poolLimits, 0, Preset.PREMIUM, policy);
        return new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).leaseTtl(TTL).build(), clock,
                EngineListener.NONE);
    }

    private static KeySpec key(String id, LimitSpec... limits) {
        return new KeySpec(id, List.of(limits), 0);
    }

    private static AcquireRequest req(String agent, long tokens) {
        return new AcquireRequest("p", tokens, Priority.NORMAL, agent, "r-" + agent + "-" + tokens);
    }

    private static PoolPolicy maxOpen(int n) {
        return new PoolPolicy(0, n, 0, List.of());
    }

    private static PoolPolicy share(double share) {
        return new PoolPolicy(0, 0, share, List.of());
    }

    @Test
    void maxOpenLeasesPerAgent_refusesTheAgentsNextLease_withAgentLimit_whileOthersStillGetLeases() {
        QuotaEngine e = engine(maxOpen(2), List.of(), key("k", LimitSpec.requests(1000, Duration.ofMinutes(1))));
        LeaseRecord first = granted(e.acquire(req("greedy", 0)));
        clock.advance(Duration.ofSeconds(10));
        granted(e.acquire(req("greedy", 0)));

        Refusal r = denied(e.acquire(req("greedy", 0)));

        assertThat(r.code()).isEqualTo(RefusalCode.AGENT_LIMIT);
        assertThat(r.message()).contains("2 open leases").contains("at most 2");
        // its oldest lease expires 50 s from now: by then it holds one less for sure
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(50));
        granted(e.acquire(req("honest", 0)));

        e.settle(ok(first, 0, clock));
        granted(e.acquire(req("greedy", 0)));
    }

    @Test
    void maxOpenLeasesPerAgent_countsTheLeasesTheAgentHoldsAtThePeer() {
        QuotaEngine e = engine(maxOpen(2), List.of(), key("k", LimitSpec.requests(1000, Duration.ofMinutes(1))));
        for (int i = 0; i < 2; i++) {
            e.replayGrant(new LeaseRecord("edge-x-" + i + "_peer", "edge", "p", "k", 0, Priority.NORMAL, "greedy", "pr" + i,
                    clock.instant(), clock.instant().plus(TTL)));
        }

        assertThat(denied(e.acquire(req("greedy", 0))).code()).isEqualTo(RefusalCode.AGENT_LIMIT);
        granted(e.acquire(req("other", 0)));
    }

    @Test
    void maxSharePerAgent_oneRequestCannotReserveAKeysWholeTokenLimit_andTheRestStaysForOthers() {
        QuotaEngine e = engine(share(0.25), List.of(), key("k", LimitSpec.tokens(10_000, Duration.ofMinutes(1))));
        granted(e.acquire(req("greedy", 2_000)));
        granted(e.acquire(req("greedy", 500))); // 2 500: exactly its share

        Refusal r = denied(e.acquire(req("greedy", 1)));

        assertThat(r.code()).isEqualTo(RefusalCode.AGENT_LIMIT);
        assertThat(r.keyId()).isEqualTo("k");
        assertThat(r.limit()).isEqualTo("tokens 10000/PT1M");
        assertThat(r.message()).contains("2500 unsettled units").contains("at most 2500");
        assertThat(r.retryAfter()).isEqualTo(TTL);
        for (String other : List.of("a", "b", "c")) {
            granted(e.acquire(req(other, 2_500)));
        }
    }

    @Test
    void maxSharePerAgent_alwaysAllowsOneCall_evenAboveItsShare() {
        QuotaEngine e = engine(share(0.1), List.of(), key("k", LimitSpec.tokens(10_000, Duration.ofMinutes(1)),
                LimitSpec.requests(5, Duration.ofMinutes(1))));
        // 10% of 5 requests is 0 and 4 000 tokens are above 10% of 10 000: one call still fits
        granted(e.acquire(req("big", 4_000)));
        assertThat(denied(e.acquire(req("big", 1))).code()).isEqualTo(RefusalCode.AGENT_LIMIT);
    }

    @Test
    void maxSharePerAgent_settledUnitsDoNotCount_onlyWhatItHoldsUnsettled() {
        QuotaEngine e = engine(share(0.25), List.of(), key("k", LimitSpec.tokens(10_000, Duration.ofMinutes(1))));
        LeaseRecord l = granted(e.acquire(req("a", 2_500)));
        assertThat(denied(e.acquire(req("a", 100))).code()).isEqualTo(RefusalCode.AGENT_LIMIT);

        e.settle(ok(l, 2_500, clock));

        granted(e.acquire(req("a", 2_500)));
    }

    @Test
    void maxSharePerAgent_aKeyWhereTheAgentHoldsItsShareIsSkipped_anotherKeyServes() {
        QuotaEngine e = engine(share(0.25), List.of(), key("k1", LimitSpec.tokens(10_000, Duration.ofMinutes(1))),
                key("k2", LimitSpec.tokens(10_000, Duration.ofMinutes(1))));
        assertThat(granted(e.acquire(req("a", 100))).keyId()).isEqualTo("k1");
        assertThat(granted(e.acquire(req("b", 3_000))).keyId()).isEqualTo("k2");
        assertThat(granted(e.acquire(req("a", 2_400))).keyId()).isEqualTo("k1"); // a holds 2 500 of k1

        // k1 has the most room left (75% against 70%), but a holds its share of k1
        LeaseRecord l = granted(e.acquire(req("a", 100)));

        assertThat(l.keyId()).isEqualTo("k2");
        assertThat(granted(e.acquire(req("b", 100))).keyId()).isEqualTo("k1");
    }

    @Test
    void maxSharePerAgent_ofAPoolLimit_refusesWithoutAKey() {
        QuotaEngine e = engine(share(0.2), List.of(LimitSpec.requests(10, Duration.ofMinutes(1))),
                key("k1", LimitSpec.requests(100, Duration.ofMinutes(1))), key("k2", LimitSpec.requests(100, Duration.ofMinutes(1))));
        granted(e.acquire(req("a", 0)));
        granted(e.acquire(req("a", 0)));

        Refusal r = denied(e.acquire(req("a", 0)));

        assertThat(r.code()).isEqualTo(RefusalCode.AGENT_LIMIT);
        assertThat(r.keyId()).isNull();
        assertThat(r.limit()).isEqualTo("requests 10/PT1M");
        granted(e.acquire(req("b", 0)));
    }

    @Test
    void fairShareIsRebuiltFromTheOpenLeasesAfterASnapshotRestore() throws Exception {
        PoolPolicy policy = new PoolPolicy(0, 2, 0.25, List.of());
        QuotaEngine a = engine(policy, List.of(), key("k", LimitSpec.tokens(10_000, Duration.ofMinutes(1))));
        LeaseRecord first = granted(a.acquire(req("x", 1_000)));
        granted(a.acquire(req("x", 1_000)));
        granted(a.acquire(req("y", 2_500)));

        QuotaEngine b = engine(policy, List.of(), key("k", LimitSpec.tokens(10_000, Duration.ofMinutes(1))));
        b.readState(a.writeState());

        assertThat(denied(b.acquire(req("x", 1))).code()).isEqualTo(RefusalCode.AGENT_LIMIT); // 2 open
        assertThat(denied(b.acquire(req("y", 1))).code()).isEqualTo(RefusalCode.AGENT_LIMIT); // its share
        b.settle(new Settlement(first.leaseId(), 1_000, Outcome.OK, Duration.ZERO, clock.instant()));
        granted(b.acquire(req("x", 1_500)));
        assertThat(denied(b.acquire(req("x", 1))).code()).isEqualTo(RefusalCode.AGENT_LIMIT);
    }

    @Test
    void withTheDefaultPolicyOneAgentMayHoldEverything() {
        QuotaEngine e = engine(PoolPolicy.ofDefaults(), List.of(), key("k", LimitSpec.tokens(10_000, Duration.ofMinutes(1))));
        for (int i = 0; i < 10; i++) {
            granted(e.acquire(req("solo", 1_000)));
        }
        assertThat(denied(e.acquire(req("solo", 1))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
    }

    @Test
    void agentLimitRetryIsWhenTheAgentsOldestLeaseExpires_peerLeasesIncluded() {
        QuotaEngine e = engine(maxOpen(1), List.of(), key("k", LimitSpec.requests(1000, Duration.ofMinutes(1))));
        Instant grantedAtPeer = clock.instant().minusSeconds(45);
        e.replayGrant(new LeaseRecord("edge-x-0_peer", "edge", "p", "k", 0, Priority.NORMAL, "a", "pr", grantedAtPeer,
                grantedAtPeer.plus(TTL)));

        assertThat(denied(e.acquire(req("a", 0))).retryAfter()).isEqualTo(Duration.ofSeconds(15));
    }
}
