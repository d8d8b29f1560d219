package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.req;
import static io.quotahub.engine.QuotaEngineBudgetTransferTest.POOL;
import static io.quotahub.engine.QuotaEngineBudgetTransferTest.engine;
import static io.quotahub.engine.QuotaEngineBudgetTransferTest.row;
import static org.assertj.core.api.Assertions.assertThat;

/** Takeover: the survivor takes the dead hub's budgets and counts its leases; later leases stay the rejoined hub's. */
class QuotaEngineTakeoverTest {

    ManualClock clock;
    QuotaEngine main;
    QuotaEngine edge;
    final List<LeaseRecord> edgeLeases = new ArrayList<>();

    @BeforeEach
    void setUp() {
        clock = new ManualClock(T0);
        main = engine("main", clock);
        edge = engine("edge", clock);
        // edge grants 4 (both engines know them: main folded edge's ledger up to the fence), settles one
        for (int i = 0; i < 4; i++) {
            LeaseRecord l = granted(edge.acquire(req("p", 10)));
            main.replayGrant(l);
            edgeLeases.add(l);
        }
        clock.advance(Duration.ofSeconds(1));
        Settlement s = ok(edgeLeases.get(0), 10, clock);
        edge.settle(s);
        main.settle(s);
        edge.replayGrant(granted(main.acquire(req("p", 10))));
    }

    private void takeover() {
        Map<LimitRef, Long> units = main.budgetsOf("edge");
        main.applyTakeover("edge", "main", units);
        edge.applyTakeover("edge", "main", units);
    }

    @Test
    void takeoverMovesTheDeadHubsBudgetAndItsOpenAndSettledLeasesToTheSurvivor() {
        takeover();
        for (QuotaEngine e : List.of(main, edge)) {
            BudgetView b = row(e, POOL);
            assertThat(b.budgetByHub()).containsEntry("main", 10L).containsEntry("edge", 0L);
            assertThat(b.usedByHub()).containsEntry("main", 5L).containsEntry("edge", 0L);
        }
        assertThat(main.budgetTable()).isEqualTo(edge.budgetTable());
        LimitView v = main.view().pools().get(0).limits().get(0);
        assertThat(v.used()).as("all hubs' use is unchanged").isEqualTo(5);
        assertThat(v.usedByThisHub()).isEqualTo(5);
        assertThat(v.budget()).isEqualTo(10);
    }

    @Test
    void theSurvivorsAdmissionCountsTheTakenOverLeases() {
        takeover();
        for (int i = 0; i < 5; i++) {
            granted(main.acquire(req("p", 1)));
        }
        Refusal r = denied(main.acquire(req("p", 1)));
        assertThat(r.code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        assertThat(row(main, POOL).usedByHub()).containsEntry("main", 10L);
    }

    @Test
    void settlingATakenOverLeaseAtTheSurvivorFreesTheSurvivorsBudgetWhenItLeavesTheWindow() {
        takeover();
        clock.advance(Duration.ofSeconds(1));
        for (LeaseRecord l : edgeLeases.subList(1, 4)) {
            Settlement s = ok(l, 5, clock);
            assertThat(main.settle(s)).isEqualTo(SettleResult.SETTLED);
            edge.settle(s);
        }
        assertThat(row(main, POOL).usedByHub()).containsEntry("main", 5L).containsEntry("edge", 0L);
        clock.advance(Duration.ofMinutes(2));
        assertThat(row(main, POOL).usedByHub()).as("main's own lease is still open").containsEntry("main", 1L);
        assertThat(main.budgetTable()).isEqualTo(edge.budgetTable());
    }

    @Test
    void leasesTheFencedHubGrantsAfterItRejoinsStayItsOwn() {
        takeover();
        assertThat(denied(edge.acquire(req("p", 1))).code()).as("rejoins with budget 0").isEqualTo(RefusalCode.BUDGET_EXHAUSTED);
        Map<LimitRef, Long> back = main.giveAway("t1", "edge", Map.of(POOL, 2L, QuotaEngineBudgetTransferTest.KEY_REQ, 2L,
                QuotaEngineBudgetTransferTest.KEY_TOK, 100L));
        assertThat(back).containsEntry(POOL, 2L);
        edge.applyTransfer("t1", "main", "edge", back);
        edge.applyTransferApplied("t1", "main", "edge", back);
        main.applyTransferApplied("t1", "main", "edge", back);
        LeaseRecord late = granted(edge.acquire(req("p", 10)));
        main.replayGrant(late);
        for (QuotaEngine e : List.of(main, edge)) {
            BudgetView b = row(e, POOL);
            assertThat(b.budgetByHub()).containsEntry("main", 8L).containsEntry("edge", 2L);
            assertThat(b.usedByHub()).containsEntry("main", 5L).containsEntry("edge", 1L);
        }
        assertThat(main.budgetTable()).isEqualTo(edge.budgetTable());
    }

    @Test
    void aSecondTakeoverTheOtherWayMovesEverythingCountedAgainstTheDeadHub() {
        takeover();
        Map<LimitRef, Long> units = edge.budgetsOf("main");
        edge.applyTakeover("main", "edge", units);
        main.applyTakeover("main", "edge", units);
        for (QuotaEngine e : List.of(main, edge)) {
            assertThat(row(e, POOL).budgetByHub()).containsEntry("main", 0L).containsEntry("edge", 10L);
            assertThat(row(e, POOL).usedByHub()).containsEntry("main", 0L).containsEntry("edge", 5L);
        }
    }

    @Test
    void takeoverOfAnUnknownHubOrOfItselfChangesNothing() {
        List<BudgetView> before = main.budgetTable();
        main.applyTakeover("mars", "main", Map.of(POOL, 5L));
        main.applyTakeover("main", "main", Map.of(POOL, 5L));
        assertThat(main.budgetTable()).isEqualTo(before);
    }
}
