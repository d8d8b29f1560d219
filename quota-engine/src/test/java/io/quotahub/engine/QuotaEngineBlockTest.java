package io.quotahub.engine;

import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static org.assertj.core.api.Assertions.assertThat;

/** Blocks (docs/architecture.md, "Block leases"): a lease of n calls, sized, counted and settled like one. */
class QuotaEngineBlockTest {

    private final ManualClock clock = new ManualClock(T0);
    private int requests;

    private QuotaEngine engine(BlockPolicy blocks, PoolPolicy policy, LimitSpec... keyLimits) {
        PoolSpec pool = new PoolSpec("p", List.of(new KeySpec("k", List.of(keyLimits), 0)), List.of(), 0, Preset.PREMIUM,
                policy).withBlocks(blocks);
        return new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).settleMargin(Duration.ZERO).build(), clock,
                EngineListener.NONE);
    }

    private QuotaEngine engine(BlockPolicy blocks, LimitSpec... keyLimits) {
        return engine(blocks, PoolPolicy.ofDefaults(), keyLimits);
    }

    private AcquireRequest block(String agent, long tokensPerCall, int calls) {
        return block(agent, tokensPerCall, calls, Priority.NORMAL);
    }

    private AcquireRequest block(String agent, long tokensPerCall, int calls, Priority priority) {
        return new AcquireRequest("p", tokensPerCall, priority, agent, "r" + (++requests)).withBlock(calls);
    }

    private Settlement used(LeaseRecord block, int calls, long tokens, Outcome outcome) {
        return new Settlement(block.leaseId(), tokens, outcome, Duration.ZERO, clock.instant(), calls);
    }

    private static LimitView limit(QuotaEngine e, int index) {
        return e.view().pools().get(0).keys().get(0).limits().get(index);
    }

    @Test
    void aBlockHoldsTheCallsAsked_expiresAfterThePoolsExpiry_andOccupiesThemUntilSettled() {
        QuotaEngine e = engine(BlockPolicy.of(20), LimitSpec.requests(100, Duration.ofMinutes(1)));

        LeaseRecord b = granted(e.acquire(block("a", 0, 8)));

        assertThat(b.calls()).isEqualTo(8);
        assertThat(b.isBlock()).isTrue();
        assertThat(b.expiresAt()).isEqualTo(T0.plus(BlockPolicy.DEFAULT_EXPIRY));
        assertThat(limit(e, 0).used()).isEqualTo(8);
    }

    @Test
    void settle_chargesTheCallsAndTokensUsedAtSettleTime_theRestReturnsAtOnce() {
        QuotaEngine e = engine(BlockPolicy.of(10), LimitSpec.requests(100, Duration.ofSeconds(10)),
                LimitSpec.tokens(10_000, Duration.ofSeconds(10)));
        LeaseRecord b = granted(e.acquire(block("a", 100, 10)));
        assertThat(b.tokens()).isEqualTo(1_000);
        assertThat(limit(e, 0).used()).isEqualTo(10);
        assertThat(limit(e, 1).used()).isEqualTo(1_000);
        clock.advance(Duration.ofSeconds(1));

        assertThat(e.settle(used(b, 3, 240, Outcome.OK))).isEqualTo(SettleResult.SETTLED);

        assertThat(limit(e, 0).used()).isEqualTo(3);
        assertThat(limit(e, 1).used()).isEqualTo(240);
        // in the window from the settle (T0 + 1 s), not from the grant
        clock.set(T0.plusSeconds(10).plusMillis(999));
        assertThat(limit(e, 0).used()).isEqualTo(3);
        clock.set(T0.plusSeconds(11));
        assertThat(limit(e, 0).used()).isZero();
    }

    @Test
    void aBlockAnAgentNeverSettles_expiresAndCountsAllItsCallsAtItsExpiry() {
        QuotaEngine e = engine(new BlockPolicy(5, Duration.ofMillis(500)), LimitSpec.requests(100, Duration.ofSeconds(10)));
        LeaseRecord b = granted(e.acquire(block("crashed", 0, 5)));
        clock.advance(Duration.ofMillis(499));
        assertThat(e.expireDue()).isEmpty();
        clock.advance(Duration.ofMillis(1));

        List<Settlement> expired = e.expireDue();

        assertThat(expired).extracting(Settlement::leaseId).containsExactly(b.leaseId());
        assertThat(limit(e, 0).used()).isEqualTo(5);
        assertThat(e.openLeases()).isEmpty();
    }

    /** A pool whose own limit is the tight one, on a key far from its throttle. */
    private QuotaEngine poolLimited(BlockPolicy blocks, PoolPolicy policy, LimitSpec poolLimit) {
        PoolSpec pool = new PoolSpec("p", List.of(new KeySpec("k", List.of(LimitSpec.requests(1_000_000, Duration.ofMinutes(1))), 0)),
                List.of(poolLimit), 0, Preset.PREMIUM, policy).withBlocks(blocks);
        return new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).settleMargin(Duration.ZERO).build(), clock,
                EngineListener.NONE);
    }

    @Test
    void blockSize_isCappedByMaxCallsAndByWhatTheHubCanGrantNow() {
        QuotaEngine e = poolLimited(BlockPolicy.of(20), PoolPolicy.ofDefaults(), LimitSpec.requests(12, Duration.ofMinutes(1)));

        assertThat(granted(e.acquire(block("a", 0, 50))).calls()).isEqualTo(12); // the room, below max-calls 20
        assertThat(denied(e.acquire(block("a", 0, 5))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
    }

    @Test
    void blocks_takeTheKeyOnlyTo10PointsBelowItsThrottle_soReservationsAloneNeverThrottleIt() {
        QuotaEngine e = engine(BlockPolicy.of(100), LimitSpec.requests(100, Duration.ofSeconds(1))); // PREMIUM: throttles at 95 %

        assertThat(granted(e.acquire(block("a", 0, 100))).calls()).isEqualTo(84); // 85 % would be at the margin
        assertThat(granted(e.acquire(block("b", 0, 100))).calls()).isEqualTo(1); // the call admitted: no room for more
        e.tick();

        assertThat(limit(e, 0).used()).isEqualTo(85);
        assertThat(e.view().pools().get(0).keys().get(0).thermal().throttled()).isFalse();
    }

    @Test
    void blockSize_shrinksTowardsOneAsMoreAgentsCompete() {
        QuotaEngine e = engine(BlockPolicy.of(20), LimitSpec.requests(40, Duration.ofMinutes(1)));

        int first = granted(e.acquire(block("a1", 0, 20))).calls();
        int second = granted(e.acquire(block("a2", 0, 20))).calls();
        int third = granted(e.acquire(block("a3", 0, 20))).calls();
        int fourth = granted(e.acquire(block("a4", 0, 20))).calls();

        // alone: max-calls; then the room left below the throttle's margin (33 calls: under 85 % of 40)
        // shared among the agents holding leases, the asker included
        assertThat(first).isEqualTo(20);
        assertThat(second).isEqualTo(6);   // 13 left, 2 agents
        assertThat(third).isEqualTo(2);    // 7 left, 3 agents
        assertThat(fourth).isEqualTo(1);   // 5 left, 4 agents
        for (int i = 5; i <= 10; i++) {
            assertThat(granted(e.acquire(block("a" + i, 0, 20, Priority.HIGH))).calls()).as("agent %d", i).isEqualTo(1);
        }
    }

    @Test
    void anAgentThatUsedUpItsBlockLately_countsAsACompetitor_oneThatLeftCallsUnusedDoesNot() {
        QuotaEngine e = engine(BlockPolicy.of(100), LimitSpec.requests(100, Duration.ofSeconds(1)));
        LeaseRecord spent = granted(e.acquire(block("spent", 0, 10)));
        LeaseRecord idle = granted(e.acquire(block("idle", 0, 10)));
        e.settle(used(spent, 10, 0, Outcome.OK)); // used up: it is between two blocks and comes back for more
        e.settle(used(idle, 3, 0, Outcome.OK));   // calls left unused: it has no demand now

        // 71 calls below the margin (84, less the 13 settled), shared with "spent" only
        LeaseRecord shared = granted(e.acquire(block("new", 0, 100)));
        assertThat(shared.calls()).isEqualTo(35);

        clock.advance(BlockPolicy.DEFAULT_EXPIRY.plusMillis(1)); // remembered for the blocks' expiry
        e.settle(used(shared, 0, 0, Outcome.OK));
        assertThat(granted(e.acquire(block("new", 0, 100))).calls()).isEqualTo(84);
    }

    @Test
    void anAgentRefusedLately_countsAsACompetitor_soItIsNotStarvedByAnotherTakingTheWholeWindowAgain() {
        // the pool's limit is the tight one (the key stays cool: a hot key grants blocks of one call anyway)
        PoolSpec pool = new PoolSpec("p", List.of(new KeySpec("k", List.of(LimitSpec.requests(1_000, Duration.ofSeconds(1))), 0)),
                List.of(LimitSpec.requests(20, Duration.ofSeconds(1))), 0, Preset.PREMIUM).withBlocks(BlockPolicy.of(20));
        QuotaEngine e = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).settleMargin(Duration.ZERO).build(),
                clock, EngineListener.NONE);
        LeaseRecord whole = granted(e.acquire(block("heavy", 0, 20)));
        assertThat(whole.calls()).isEqualTo(20);
        assertThat(denied(e.acquire(block("light", 0, 1))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        clock.advance(Duration.ofMillis(100));
        e.settle(used(whole, 20, 0, Outcome.OK));
        clock.advance(Duration.ofMillis(1_100)); // the window is empty again; light was refused 1.2 s ago

        LeaseRecord next = granted(e.acquire(block("heavy", 0, 20)));

        assertThat(next.calls()).isEqualTo(10); // shared with the agent waiting for room
        clock.advance(BlockPolicy.DEFAULT_EXPIRY); // long enough without a refusal: light no longer counts
        e.settle(used(next, 0, 0, Outcome.OK));
        clock.advance(Duration.ofSeconds(1));
        assertThat(granted(e.acquire(block("heavy", 0, 20))).calls()).isEqualTo(20);
    }

    @Test
    void blockSize_keepsWithinMaxSharePerAgent_ofTheRoomAndOfTheCapacity() {
        QuotaEngine e = poolLimited(BlockPolicy.of(50), new PoolPolicy(0, 0, 0.25, List.of()),
                LimitSpec.requests(100, Duration.ofMinutes(1)));

        assertThat(granted(e.acquire(block("a", 0, 50))).calls()).isEqualTo(25);
        // it holds its share of the capacity: one more call is all the share rule lets past
        assertThat(denied(e.acquire(block("a", 0, 50))).code()).isEqualTo(RefusalCode.AGENT_LIMIT);
        assertThat(granted(e.acquire(block("b", 0, 50))).calls()).isEqualTo(18); // floor(75 left x min(1/2, 0.25))
    }

    @Test
    void aPoolWithoutBlocks_grantsOneCallLeaseForABlockRequest() {
        QuotaEngine e = engine(BlockPolicy.off(), LimitSpec.requests(100, Duration.ofMinutes(1)));

        LeaseRecord l = granted(e.acquire(block("a", 7, 20)));

        assertThat(l.isBlock()).isFalse();
        assertThat(l.calls()).isEqualTo(1);
        assertThat(l.tokens()).isEqualTo(7);
        assertThat(l.expiresAt()).isEqualTo(T0.plus(EngineConfig.DEFAULT_LEASE_TTL));
    }

    @Test
    void a429OnAnyCallOfABlock_endsItAndCoolsTheKeyDownAsA429Would() {
        QuotaEngine e = engine(BlockPolicy.of(10), LimitSpec.requests(100, Duration.ofMinutes(1)));
        LeaseRecord b = granted(e.acquire(block("a", 0, 10)));
        clock.advance(Duration.ofMillis(300));

        e.settle(new Settlement(b.leaseId(), 0, Outcome.RATE_LIMITED, Duration.ofSeconds(5), clock.instant(), 4));

        assertThat(limit(e, 0).used()).isEqualTo(4);
        Refusal r = denied(e.acquire(block("a", 0, 10)));
        assertThat(r.code()).isEqualTo(RefusalCode.COOLDOWN);
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aSettleThatReportsNoCalls_countsTheWholeBlock_andAnUnknownOutcomeWithZeroToo() {
        QuotaEngine e = engine(BlockPolicy.of(6), LimitSpec.requests(100, Duration.ofMinutes(1)));
        LeaseRecord b1 = granted(e.acquire(block("a", 0, 6)));
        LeaseRecord b2 = granted(e.acquire(block("a", 0, 6)));

        e.settle(new Settlement(b1.leaseId(), 0, Outcome.OK, Duration.ZERO, clock.instant())); // calls not reported
        e.settle(used(b2, 0, 0, Outcome.UNKNOWN));

        assertThat(limit(e, 0).used()).isEqualTo(b1.calls() + b2.calls());
    }

    @Test
    void aBlockReportingMoreCallsThanItHeld_countsOnlyItsCalls() {
        QuotaEngine e = engine(BlockPolicy.of(4), LimitSpec.requests(100, Duration.ofMinutes(1)));
        LeaseRecord b = granted(e.acquire(block("a", 0, 4)));

        e.settle(used(b, 1_000, 0, Outcome.OK));

        assertThat(limit(e, 0).used()).isEqualTo(4);
    }

    @Test
    void aKeyWhoseCircuitIsNotClosed_grantsBlocksOfOneCall() {
        QuotaEngine e = engine(BlockPolicy.of(10), LimitSpec.requests(1_000, Duration.ofMinutes(1)));
        for (int i = 0; i < 10; i++) { // errors in a row open the circuit
            LeaseRecord l = granted(e.acquire(block("a", 0, 1)));
            e.settle(used(l, 1, 0, Outcome.ERROR));
            clock.advance(Duration.ofMillis(10));
            if (e.view().pools().get(0).keys().get(0).circuit() != CircuitState.CLOSED) {
                break;
            }
        }
        assertThat(e.view().pools().get(0).keys().get(0).circuit()).isNotEqualTo(CircuitState.CLOSED);
        clock.advance(Duration.ofHours(1)); // past every cooldown and the open time: half-open, waiting for its probe

        LeaseRecord probe = granted(e.acquire(block("a", 0, 10)));

        assertThat(probe.calls()).isEqualTo(1);
    }

    @Test
    void aReplayedBlock_isCountedByThePeerAsByItsGranter() {
        QuotaEngine main = engine(BlockPolicy.of(10), LimitSpec.requests(100, Duration.ofMinutes(1)));
        QuotaEngine copy = engine(BlockPolicy.of(10), LimitSpec.requests(100, Duration.ofMinutes(1)));
        LeaseRecord b = granted(main.acquire(block("a", 0, 10)));

        copy.replayGrant(b);
        assertThat(limit(copy, 0).used()).isEqualTo(10);
        clock.advance(Duration.ofMillis(700));
        Settlement s = used(b, 6, 0, Outcome.OK);
        main.settle(s);
        copy.settle(s);

        assertThat(limit(copy, 0).used()).isEqualTo(6).isEqualTo(limit(main, 0).used());
    }

    @Test
    void aNegativeBlockSize_isRefusedAsInvalidAndChangesNothing() {
        QuotaEngine e = engine(BlockPolicy.of(10), LimitSpec.requests(100, Duration.ofMinutes(1)));

        Refusal r = denied(e.acquire(block("a", 0, -3)));

        assertThat(r.code()).isEqualTo(RefusalCode.INVALID_REQUEST);
        assertThat(r.message()).contains("blockCalls");
        assertThat(limit(e, 0).used()).isZero();
    }

    @Test
    void blockPolicy_refusesOutOfRangeSettings_namingThem() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BlockPolicy(-1, Duration.ofSeconds(2)))
                .hasMessageContaining("max-calls");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BlockPolicy(5, Duration.ZERO))
                .hasMessageContaining("expiry");
    }
}
