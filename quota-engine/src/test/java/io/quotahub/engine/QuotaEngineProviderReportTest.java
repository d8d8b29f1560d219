package io.quotahub.engine;

import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.config2;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.outcome;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;

/** The provider's word: UNKNOWN outcomes, external use, observed and learned limits (on a manual clock). */
class QuotaEngineProviderReportTest {

    private static final Map<String, Double> HALVES = Map.of("main", 0.5, "edge", 0.5);
    private final ManualClock clock = new ManualClock(T0);

    private static PoolSpec pool(boolean learn, KeySpec... keys) {
        return new PoolSpec("p", List.of(keys), List.of(), 0, Preset.PREMIUM, PoolPolicy.ofDefaults(), learn);
    }

    private static ReportedLimit requests(Long limit, Long remaining, Long resetAfterMs) {
        return new ReportedLimit(ReportedLimit.Kind.REQUESTS, limit, remaining, resetAfterMs);
    }

    private static LimitView limit(QuotaEngine e, int i) {
        return e.view().pools().get(0).keys().get(0).limits().get(i);
    }

    private static KeyView key0(QuotaEngine e) {
        return e.view().pools().get(0).keys().get(0);
    }

    // ---- UNKNOWN -------------------------------------------------------------------------------

    @Test
    void unknown_countsAsUsedButDoesNotResetTheFailuresThatOpenTheCircuit() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(1000, Duration.ofMinutes(1)),
                LimitSpec.tokens(100_000, Duration.ofMinutes(1))))).build(), clock, EngineListener.NONE);
        for (int i = 0; i < 2; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 10))), Outcome.ERROR, Duration.ZERO, clock));
        }
        // an UNKNOWN between the failures: an OK would restart the count, UNKNOWN must not
        LeaseRecord unknown = granted(e.acquire(req("p", 300)));
        e.settle(new Settlement(unknown.leaseId(), 0, Outcome.UNKNOWN, Duration.ZERO, clock.instant()));
        assertThat(key0(e).circuit()).isEqualTo(CircuitState.CLOSED);
        e.settle(outcome(granted(e.acquire(req("p", 10))), Outcome.ERROR, Duration.ZERO, clock));

        assertThat(key0(e).circuit()).isEqualTo(CircuitState.OPEN);
        assertThat(key0(e).errors()).isEqualTo(3);
        // counted as used: one request, and its estimate in tokens (it reported none)
        assertThat(limit(e, 0).used()).isEqualTo(4);
        assertThat(limit(e, 1).used()).isEqualTo(10 + 10 + 300 + 10);
    }

    @Test
    void unknown_withTokensReported_chargesThoseTokens_andAnOkStillResetsTheFailures() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.tokens(100_000, Duration.ofMinutes(1))))).build(),
                clock, EngineListener.NONE);
        LeaseRecord l = granted(e.acquire(req("p", 300)));
        e.settle(new Settlement(l.leaseId(), 120, Outcome.UNKNOWN, Duration.ZERO, clock.instant()));
        assertThat(limit(e, 0).used()).isEqualTo(120);

        for (int i = 0; i < 2; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 1))), Outcome.ERROR, Duration.ZERO, clock));
        }
        e.settle(ok(granted(e.acquire(req("p", 1))), 1, clock));
        e.settle(outcome(granted(e.acquire(req("p", 1))), Outcome.ERROR, Duration.ZERO, clock));
        assertThat(key0(e).circuit()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void unknownProbe_neitherClosesNorReopensTheCircuit_andFreesTheProbe() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(1000, Duration.ofMinutes(1)))))
                .cooldown(new CooldownConfig(CooldownConfig.ofDefaults().ladder(), 3, Duration.ofSeconds(1), Duration.ofSeconds(30)))
                .build(), clock, EngineListener.NONE);
        for (int i = 0; i < 3; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 1))), Outcome.ERROR, Duration.ZERO, clock));
        }
        clock.advance(Duration.ofSeconds(31));
        LeaseRecord probe = granted(e.acquire(req("p", 1)));
        assertThat(denied(e.acquire(req("p", 1))).code()).isEqualTo(RefusalCode.CIRCUIT_OPEN);

        e.settle(new Settlement(probe.leaseId(), 0, Outcome.UNKNOWN, Duration.ZERO, clock.instant()));

        assertThat(key0(e).circuit()).isEqualTo(CircuitState.HALF_OPEN);
        LeaseRecord next = granted(e.acquire(req("p", 1)));
        e.settle(ok(next, 0, clock));
        assertThat(key0(e).circuit()).isEqualTo(CircuitState.CLOSED);
    }

    // ---- external use --------------------------------------------------------------------------

    @Test
    void externalUse_isBookedIntoTheWindow_countedUntilTheProvidersReset_thenLeaves() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(10, Duration.ofMinutes(1))))).build(),
                clock, EngineListener.NONE);
        LeaseRecord l = granted(e.acquire(req("p", 1)));
        e.settle(ok(l, 0, clock));
        // the hub counts 1 of 10; the provider says 3 are left, window back in 20 s: 6 were used elsewhere
        ProviderFeedback f = e.observeProvider("p", "k", List.of(requests(10L, 3L, 20_000L)));

        assertThat(f.booked()).singleElement().satisfies(b -> {
            assertThat(b.units()).isEqualTo(6);
            assertThat(b.untilMillis() - b.atMillis()).isEqualTo(20_000);
        });
        assertThat(limit(e, 0).used()).isEqualTo(7);
        assertThat(key0(e).externalBooked()).isEqualTo(6);
        for (int i = 0; i < 3; i++) {
            granted(e.acquire(req("p", 1)));
        }
        assertThat(denied(e.acquire(req("p", 1))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);

        // past the provider's reset the level is held until the next report says what is left
        clock.advance(Duration.ofMillis(20_000));
        assertThat(limit(e, 0).used()).isEqualTo(10);
        assertThat(e.observeProvider("p", "k", List.of(requests(10L, 6L, 60_000L))).booked()).singleElement()
                .extracting(ExternalUse::units).isEqualTo(0L);
        assertThat(limit(e, 0).used()).isEqualTo(4);
        granted(e.acquire(req("p", 1)));
    }

    @Test
    void externalUse_isALevel_aReportConfirmsOrRaisesIt_neverAddsToIt_andOnlyOnePastItsResetLowersIt() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(20, Duration.ofSeconds(5))))).build(),
                clock, EngineListener.NONE);
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 12L, 5_000L))).booked()).singleElement()
                .extracting(ExternalUse::units).isEqualTo(8L);
        // 1 s later the same 8 (a burst the provider still counts): no new booking
        clock.advance(Duration.ofSeconds(1));
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 12L, 5_000L))).booked()).isEmpty();
        // 4 s in: the first burst leaves the provider's window, a second one came: still 8, renewed, not 16
        clock.advance(Duration.ofSeconds(3));
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 12L, 5_000L))).booked()).singleElement()
                .satisfies(b -> {
                    assertThat(b.units()).isEqualTo(8);
                    assertThat(b.untilMillis() - b.atMillis()).isEqualTo(5_000);
                });
        assertThat(limit(e, 0).used()).isEqualTo(8);
        clock.advance(Duration.ofSeconds(2)); // past the first booking's end: the renewed level counts
        assertThat(limit(e, 0).used()).isEqualTo(8);
        // more used elsewhere: the level rises to 10 (replaced, not 18)
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 10L, 5_000L))).booked()).singleElement()
                .extracting(ExternalUse::units).isEqualTo(10L);
        assertThat(limit(e, 0).used()).isEqualTo(10);
        assertThat(key0(e).externalBooked()).isEqualTo(10);
        // the provider shows all 20 left: no report lowers the level before its reset
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 20L, 0L))).booked()).isEmpty();
        clock.advance(Duration.ofMillis(4_999));
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 20L, 0L))).booked()).isEmpty();
        // past it, the window holds the level until a report: the first one books the provider's word
        clock.advance(Duration.ofMillis(1));
        assertThat(limit(e, 0).used()).isEqualTo(10);
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 16L, 5_000L))).booked()).singleElement()
                .extracting(ExternalUse::units).isEqualTo(4L);
        assertThat(limit(e, 0).used()).isEqualTo(4);
        clock.advance(Duration.ofMillis(5_000));
        assertThat(e.observeProvider("p", "k", List.of(requests(20L, 20L, 0L))).booked()).singleElement()
                .extracting(ExternalUse::units).isEqualTo(0L);
        assertThat(limit(e, 0).used()).isZero();
        assertThat(key0(e).externalBooked()).isEqualTo(10);
    }

    @Test
    void externalUse_aCallTheWindowKeepsOnlyForItsSettleMargin_isNotTakenForOneTheProviderCounts() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(10, Duration.ofSeconds(5)))))
                .settleMargin(Duration.ofMillis(250)).build(), clock, EngineListener.NONE);
        e.settle(ok(granted(e.acquire(req("p", 1))), 0, clock));
        clock.advance(Duration.ofMillis(5_100));
        assertThat(limit(e, 0).used()).isEqualTo(1); // still in the hub's window (its margin)
        // the provider dropped that call: of its 10, 9 left means 1 used elsewhere
        assertThat(e.observeProvider("p", "k", List.of(requests(10L, 9L, 5_000L))).booked()).singleElement()
                .extracting(ExternalUse::units).isEqualTo(1L);
    }

    @Test
    void externalUse_theLatestBookingByTimeThenHubStands_inEveryFoldOrder() {
        LimitSpec perMinute = LimitSpec.requests(100, Duration.ofMinutes(1));
        long at = clock.millis();
        ExternalUse early = new ExternalUse("p", "k", 0, Map.of("main", 30L), at - 1, at + 60_000, "main");
        ExternalUse byEdge = new ExternalUse("p", "k", 0, Map.of("edge", 5L), at, at + 60_000, "edge");
        ExternalUse byMain = new ExternalUse("p", "k", 0, Map.of("main", 7L), at, at + 60_000, "main");
        List<List<ExternalUse>> orders = List.of(List.of(early, byEdge, byMain), List.of(byMain, byEdge, early),
                List.of(byEdge, early, byMain), List.of(early, byMain, byEdge));
        for (List<ExternalUse> order : orders) {
            QuotaEngine e = new QuotaEngine(config2(HALVES, pool(false, key("k", perMinute))).build(), clock, EngineListener.NONE);
            order.forEach(e::bookExternalUse);
            assertThat(limit(e, 0).used()).as("%s", order).isEqualTo(7);
            assertThat(limit(e, 0).budget() - 7).as("main's room").isEqualTo(43);
        }
    }

    @Test
    void externalUse_withoutReset_isHeldTwoWindowsWithoutAReport_andASecondReportDoesNotBookItAgain() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(10, Duration.ofSeconds(10))))).build(),
                clock, EngineListener.NONE);
        assertThat(e.observeProvider("p", "k", List.of(requests(null, 4L, null))).booked()).hasSize(1);
        assertThat(e.observeProvider("p", "k", List.of(requests(null, 4L, null))).booked()).isEmpty();
        assertThat(limit(e, 0).used()).isEqualTo(6);
        clock.advance(Duration.ofMillis(19_999));
        assertThat(limit(e, 0).used()).isEqualTo(6);
        clock.advance(Duration.ofMillis(1));
        assertThat(limit(e, 0).used()).isZero();
    }

    @Test
    void externalUse_allowsForLeasesStillOpen_soHonestCallsInFlightAreNotBookedTwice() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(10, Duration.ofMinutes(1))))).build(),
                clock, EngineListener.NONE);
        LeaseRecord a = granted(e.acquire(req("p", 1)));
        granted(e.acquire(req("p", 1)));
        granted(e.acquire(req("p", 1)));
        e.settle(ok(a, 0, clock));
        // the provider saw all three calls (two still open here): 7 left is exactly the hubs' own use
        assertThat(e.observeProvider("p", "k", List.of(requests(10L, 7L, 60_000L))).booked()).isEmpty();
        // 5 left: 2 more than the hub can explain, but 2 calls are in flight: nothing booked yet
        assertThat(e.observeProvider("p", "k", List.of(requests(10L, 5L, 60_000L))).booked()).isEmpty();
        // 3 left: 2 units remain unexplained even if the open calls counted twice
        assertThat(e.observeProvider("p", "k", List.of(requests(10L, 2L, 60_000L))).booked())
                .singleElement().extracting(ExternalUse::units).isEqualTo(3L);
    }

    @Test
    void externalUse_neverMoreThanTheCapacity_andAReportMatchingNoLimitChangesNothing() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(10, Duration.ofMinutes(1)),
                LimitSpec.requests(100, Duration.ofDays(1))))).build(), clock, EngineListener.NONE);
        // reset in 2 h: fits the day, not the minute
        ProviderFeedback day = e.observeProvider("p", "k", List.of(requests(100L, 0L, 7_200_000L)));
        assertThat(day.booked()).singleElement().satisfies(b -> {
            assertThat(b.limitIndex()).isEqualTo(1);
            assertThat(b.units()).isEqualTo(100);
        });
        // a reset longer than every window, a token report on a key without token limits
        ProviderFeedback none = e.observeProvider("p", "k", List.of(requests(10L, 0L, 3 * 86_400_000L),
                new ReportedLimit(ReportedLimit.Kind.TOKENS, 1000L, 0L, 1_000L)));
        assertThat(none.changedNothing()).isTrue();
        assertThat(none.unmatched()).isEqualTo(2);
        assertThat(limit(e, 0).used()).isZero();
    }

    @Test
    void externalUse_takesThisHubsRoomFirst_thenThePeers_soTogetherTheyGrantAtMostWhatIsLeft() {
        LimitSpec perHour = LimitSpec.requests(100, Duration.ofHours(1)); // no burst guard: every unit is grantable
        QuotaEngine main = new QuotaEngine(config2(HALVES, pool(false, key("k", perHour))).build(), clock, EngineListener.NONE);
        QuotaEngine edge = new QuotaEngine(EngineConfig.builder("edge").budgetShares(HALVES)
                .pools(List.of(pool(false, key("k", perHour)))).build(), clock, EngineListener.NONE);
        // the provider has 30 left; the hubs (50 + 50 budget, nothing used) believe 100
        ProviderFeedback f = main.observeProvider("p", "k", List.of(requests(100L, 30L, 3_600_000L)));
        ExternalUse booked = f.booked().get(0);
        assertThat(booked.unitsByHub()).isEqualTo(Map.of("main", 50L, "edge", 20L));
        edge.bookExternalUse(booked);
        assertThat(limit(edge, 0).used()).isEqualTo(70).isEqualTo(limit(main, 0).used());

        int byMain = 0;
        while (main.acquire(req("p", 1)) instanceof Decision.Admitted) {
            byMain++;
        }
        int byEdge = 0;
        while (edge.acquire(req("p", 1)) instanceof Decision.Admitted) {
            byEdge++;
        }
        assertThat(limit(main, 0).remaining()).isZero();
        assertThat(limit(edge, 0).budget() - 20).isEqualTo(30);
        assertThat(byMain).isZero();
        assertThat(byEdge).isPositive().isLessThanOrEqualTo(30); // the throttle near the limit may pace the last few
    }

    @Test
    void implausibleValues_areIgnoredByTheEngineItself() {
        QuotaEngine e = new QuotaEngine(config(pool(true, key("k", LimitSpec.requests(10, Duration.ofMinutes(1))))).build(),
                clock, EngineListener.NONE);
        ProviderFeedback f = e.observeProvider("p", "k", List.of(requests(10L, -5L, 1_000L), requests(-1L, 0L, 1_000L),
                requests(10L, 0L, Long.MAX_VALUE)));
        assertThat(f.changedNothing()).isTrue();
        assertThat(f.unmatched()).isEqualTo(3);
        assertThat(limit(e, 0).used()).isZero();
        assertThat(limit(e, 0).enforced()).isEqualTo(10);
    }

    // ---- observed and learned limits ------------------------------------------------------------

    @Test
    void observedLowerLimit_isRecorded_clearedByAHigherReport_andTheLatestStandsInAnyFoldOrder() {
        QuotaEngine e = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(200, Duration.ofMinutes(10))))).build(),
                clock, EngineListener.NONE);
        ProviderFeedback f = e.observeProvider("p", "k", List.of(requests(150L, null, 360_000L)));
        assertThat(f.observed()).singleElement().extracting(LimitObservation::observed).isEqualTo(150L);
        assertThat(limit(e, 0).observedLimit()).isEqualTo(150L);
        assertThat(limit(e, 0).observedAt()).isEqualTo(clock.instant());
        assertThat(limit(e, 0).enforced()).isEqualTo(200); // the pool does not learn
        // the same again: nothing new for the ledger
        assertThat(e.observeProvider("p", "k", List.of(requests(150L, null, 360_000L))).observed()).isEmpty();

        clock.advance(Duration.ofSeconds(1));
        assertThat(e.observeProvider("p", "k", List.of(requests(200L, null, 360_000L))).observed()).hasSize(1);
        assertThat(limit(e, 0).observedLimit()).isNull();

        // folds from two hubs, in both orders, end alike
        LimitObservation early = new LimitObservation("p", "k", 0, 120, T0.toEpochMilli() + 5_000, "edge");
        LimitObservation late = new LimitObservation("p", "k", 0, 90, T0.toEpochMilli() + 6_000, "main");
        QuotaEngine a = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(200, Duration.ofMinutes(10))))).build(), clock, null);
        QuotaEngine b = new QuotaEngine(config(pool(false, key("k", LimitSpec.requests(200, Duration.ofMinutes(10))))).build(), clock, null);
        a.observeLimit(early);
        a.observeLimit(late);
        b.observeLimit(late);
        b.observeLimit(early);
        assertThat(limit(a, 0).observedLimit()).isEqualTo(90L).isEqualTo(limit(b, 0).observedLimit());
    }

    @Test
    void learnLimits_lowersTheEnforcedLimit_neverRaisesIt_andAnOperatorClearsIt() {
        QuotaEngine e = new QuotaEngine(config(pool(true, key("k", LimitSpec.requests(10, Duration.ofMinutes(1))))).build(),
                clock, EngineListener.NONE);
        e.observeProvider("p", "k", List.of(requests(4L, null, 60_000L)));
        assertThat(limit(e, 0).enforced()).isEqualTo(4);
        int granted = 0;
        while (e.acquire(req("p", 1)) instanceof Decision.Admitted) {
            granted++;
        }
        assertThat(granted).isEqualTo(4);

        clock.advance(Duration.ofSeconds(1));
        e.observeProvider("p", "k", List.of(requests(50L, null, 60_000L)));
        assertThat(limit(e, 0).enforced()).isEqualTo(10);

        clock.advance(Duration.ofSeconds(1));
        e.observeProvider("p", "k", List.of(requests(6L, null, 60_000L)));
        assertThat(limit(e, 0).enforced()).isEqualTo(6);
        clock.advance(Duration.ofSeconds(1));
        e.clearObservedLimits("p", "k", clock.millis(), "main");
        assertThat(limit(e, 0).enforced()).isEqualTo(10);
        assertThat(limit(e, 0).observedLimit()).isNull();
    }

    @Test
    void learnLimits_scalesBothHubsBudgets_soTogetherTheyGrantAtMostTheLearnedLimit_andGiveAwayKeepsI2() {
        QuotaEngine main = new QuotaEngine(config2(HALVES, pool(true, key("k", LimitSpec.requests(100, Duration.ofMinutes(1))))).build(),
                clock, EngineListener.NONE);
        QuotaEngine edge = new QuotaEngine(EngineConfig.builder("edge").budgetShares(HALVES)
                .pools(List.of(pool(true, key("k", LimitSpec.requests(100, Duration.ofMinutes(1)))))).build(), clock, EngineListener.NONE);
        LimitObservation o = main.observeProvider("p", "k", List.of(requests(41L, null, 60_000L))).observed().get(0);
        edge.observeLimit(o);
        assertThat(limit(main, 0).budget() + limit(edge, 0).budget()).isLessThanOrEqualTo(41);

        for (int i = 0; i < 10; i++) {
            granted(main.acquire(req("p", 1)));
        }
        // main holds 20 of 41 (scaled from 50 of 100) and uses 10: giving away may not leave it below its use
        LimitRef ref = main.limitRefs().get(0);
        Map<LimitRef, Long> given = main.giveAway("main-t1", "edge", Map.of(ref, 50L));
        edge.applyTransfer("main-t1", "main", "edge", given);
        edge.applyTransferApplied("main-t1", "main", "edge", given);
        assertThat(limit(main, 0).budget()).isGreaterThanOrEqualTo(10);

        int granted = 10;
        for (QuotaEngine e : List.of(main, edge)) {
            while (e.acquire(req("p", 1)) instanceof Decision.Admitted) {
                granted++;
            }
        }
        assertThat(granted).isLessThanOrEqualTo(41);
    }
}
