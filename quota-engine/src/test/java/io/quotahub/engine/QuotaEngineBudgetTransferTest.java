package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The budget operations of the two-hub protocol: give-away, Transfer, TransferApplied, revert. */
class QuotaEngineBudgetTransferTest {

    static final LimitRef POOL = LimitRef.ofPool("p", 0);
    static final LimitRef KEY_REQ = LimitRef.ofKey("p", "k1", 0);
    static final LimitRef KEY_TOK = LimitRef.ofKey("p", "k1", 1);

    ManualClock clock;
    QuotaEngine main;
    QuotaEngine edge;

    static PoolSpec pool() {
        return new PoolSpec("p", List.of(new KeySpec("k1", List.of(LimitSpec.requests(100, Duration.ofMinutes(1)),
                LimitSpec.tokens(1000, Duration.ofMinutes(1))), 0)),
                List.of(LimitSpec.requests(10, Duration.ofMinutes(1))), 0, Preset.PREMIUM);
    }

    static QuotaEngine engine(String hub, ManualClock clock) {
        return new QuotaEngine(EngineConfig.builder(hub).pools(List.of(pool()))
                .budgetShares(Map.of("main", 0.5, "edge", 0.5)).build(), clock, EngineListener.NONE);
    }

    @BeforeEach
    void setUp() {
        clock = new ManualClock(T0);
        main = engine("main", clock);
        edge = engine("edge", clock);
    }

    static BudgetView row(QuotaEngine e, LimitRef ref) {
        return e.budgetTable().stream().filter(b -> b.ref().equals(ref)).findFirst().orElseThrow();
    }

    @Test
    void limitRefsListEachPoolsOwnLimitsThenItsKeysLimits() {
        assertThat(main.limitRefs()).containsExactly(POOL, KEY_REQ, KEY_TOK);
        assertThat(main.budgetTable()).extracting(BudgetView::ref).containsExactly(POOL, KEY_REQ, KEY_TOK);
    }

    @Test
    void budgetTableShowsTheConfiguredSplitAndNothingUsedOrInFlight() {
        BudgetView b = row(main, POOL);
        assertThat(b.capacity()).isEqualTo(10);
        assertThat(b.budgetByHub()).containsExactlyInAnyOrderEntriesOf(Map.of("edge", 5L, "main", 5L));
        assertThat(b.usedByHub()).containsExactlyInAnyOrderEntriesOf(Map.of("edge", 0L, "main", 0L));
        assertThat(b.inFlight()).isZero();
        assertThat(main.budgetsOf("edge")).containsExactlyInAnyOrderEntriesOf(Map.of(POOL, 5L, KEY_REQ, 50L, KEY_TOK, 500L));
        assertThat(main.budgetsOf("mars")).isEmpty();
    }

    @Test
    void giveAwayMovesOnlyUnusedHeadroom_andReturnsWhatMovedWithoutZeros() {
        for (int i = 0; i < 3; i++) {
            granted(main.acquire(req("p", 100)));
        }
        // pool: budget 5, 3 open -> headroom 2; key requests: 50 - 3 = 47; key tokens: 500 - 300 = 200
        Map<LimitRef, Long> moved = main.giveAway("t1", "edge", Map.of(POOL, 5L, KEY_REQ, 10L, KEY_TOK, 0L));
        assertThat(moved).containsExactlyInAnyOrderEntriesOf(Map.of(POOL, 2L, KEY_REQ, 10L));
        BudgetView b = row(main, POOL);
        assertThat(b.budgetByHub()).containsEntry("main", 3L).containsEntry("edge", 5L);
        assertThat(b.inFlight()).isEqualTo(2);
        assertThat(b.committed()).isEqualTo(10);
        // nothing is left: the next acquire is refused by this hub's budget, not by the limit
        Refusal r = denied(main.acquire(req("p", 1)));
        assertThat(r.code()).isEqualTo(RefusalCode.BUDGET_EXHAUSTED);
        assertThat(main.giveAway("t2", "edge", Map.of(POOL, 1L))).isEmpty();
    }

    @Test
    void giveAwayCountsSettledUnitsStillInTheWindow_andNotThoseThatLeftIt() {
        LeaseRecord l = granted(main.acquire(req("p", 10)));
        clock.advance(Duration.ofSeconds(1));
        main.settle(ok(l, 10, clock));
        assertThat(main.giveAway("t1", "edge", Map.of(POOL, 5L))).containsEntry(POOL, 4L);
        clock.advance(Duration.ofMinutes(2));
        assertThat(main.giveAway("t2", "edge", Map.of(POOL, 5L))).containsEntry(POOL, 1L);
    }

    @Test
    void giveAwayLeavesTheStateAFoldOfItsTransferWouldLeave() {
        granted(main.acquire(req("p", 100)));
        Map<LimitRef, Long> moved = main.giveAway("t1", "edge", Map.of(POOL, 3L, KEY_TOK, 250L));
        QuotaEngine replay = engine("main", clock);
        granted(replay.acquire(req("p", 100)));
        replay.applyTransfer("t1", "main", "edge", moved);
        assertThat(replay.budgetTable()).isEqualTo(main.budgetTable());
        edge.applyTransfer("t1", "main", "edge", moved);
        assertThat(edge.budgetTable()).extracting(BudgetView::budgetByHub, BudgetView::inFlight)
                .isEqualTo(main.budgetTable().stream().map(b -> org.assertj.core.groups.Tuple.tuple(b.budgetByHub(), b.inFlight())).toList());
    }

    @Test
    void giveAwayWithAnIdAlreadyFoldedMovesNothingMore() {
        Map<LimitRef, Long> first = main.giveAway("t1", "edge", Map.of(POOL, 2L));
        assertThat(main.giveAway("t1", "edge", Map.of(POOL, 2L))).isEqualTo(first);
        assertThat(row(main, POOL).budgetByHub()).containsEntry("main", 3L);
        edge.applyTransfer("m1", "main", "edge", Map.of(POOL, 1L));
        assertThatThrownBy(() -> edge.giveAway("m1", "main", Map.of(POOL, 1L))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void giveAwayToItselfOrAnUnknownHubIsRefused() {
        assertThatThrownBy(() -> main.giveAway("t", "main", Map.of(POOL, 1L))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> main.giveAway("t", "mars", Map.of(POOL, 1L))).hasMessageContaining("mars");
    }

    @Test
    void transferThenTransferAppliedMovesTheUnitsToTheReceiverOnBothHubs() {
        Map<LimitRef, Long> moved = main.giveAway("t1", "edge", Map.of(POOL, 4L));
        edge.applyTransfer("t1", "main", "edge", moved);
        edge.applyTransferApplied("t1", "main", "edge", moved);
        main.applyTransferApplied("t1", "main", "edge", moved);
        for (QuotaEngine e : List.of(main, edge)) {
            BudgetView b = row(e, POOL);
            assertThat(b.budgetByHub()).containsEntry("main", 1L).containsEntry("edge", 9L);
            assertThat(b.inFlight()).isZero();
        }
        for (int i = 0; i < 9; i++) {
            granted(edge.acquire(req("p", 1)));
        }
        assertThat(denied(edge.acquire(req("p", 1))).code()).isEqualTo(RefusalCode.BUDGET_EXHAUSTED);
        LimitView v = edge.view().pools().get(0).limits().get(0);
        assertThat(v.budget()).isEqualTo(9);
        assertThat(v.usedByThisHub()).isEqualTo(9);
        assertThat(v.remaining()).isZero();
    }

    @Test
    void foldsAreIdempotentOnTheTransferId() {
        edge.applyTransfer("t1", "main", "edge", Map.of(POOL, 2L));
        edge.applyTransfer("t1", "main", "edge", Map.of(POOL, 2L));
        edge.applyTransferApplied("t1", "main", "edge", Map.of(POOL, 2L));
        edge.applyTransferApplied("t1", "main", "edge", Map.of(POOL, 2L));
        edge.applyTransfer("t1", "main", "edge", Map.of(POOL, 2L));
        BudgetView b = row(edge, POOL);
        assertThat(b.budgetByHub()).containsEntry("main", 3L).containsEntry("edge", 7L);
        assertThat(b.inFlight()).isZero();
    }

    @Test
    void transferAppliedBeforeItsTransferIsBuffered_andBothOrdersEndTheSame() {
        QuotaEngine a = engine("main", clock);
        QuotaEngine b = engine("main", clock);
        a.applyTransfer("t1", "edge", "main", Map.of(POOL, 3L));
        a.applyTransferApplied("t1", "edge", "main", Map.of(POOL, 3L));
        b.applyTransferApplied("t1", "edge", "main", Map.of(POOL, 3L));
        // buffered: no units counted twice, nothing shown in flight, no budget raised yet
        assertThat(row(b, POOL).budgetByHub()).containsEntry("main", 5L).containsEntry("edge", 5L);
        assertThat(row(b, POOL).inFlight()).isZero();
        b.applyTransfer("t1", "edge", "main", Map.of(POOL, 3L));
        assertThat(b.budgetTable()).isEqualTo(a.budgetTable());
        assertThat(row(b, POOL).budgetByHub()).containsEntry("main", 8L).containsEntry("edge", 2L);
    }

    @Test
    void theReceiverGetsAtMostWhatTheTransferSent() {
        edge.applyTransfer("t1", "main", "edge", Map.of(POOL, 2L));
        edge.applyTransferApplied("t1", "main", "edge", Map.of(POOL, 5L, KEY_REQ, 7L));
        BudgetView b = row(edge, POOL);
        assertThat(b.budgetByHub()).containsEntry("main", 3L).containsEntry("edge", 7L);
        assertThat(row(edge, KEY_REQ).budgetByHub()).containsEntry("edge", 50L);
        assertThat(edge.budgetTable()).allSatisfy(v -> assertThat(v.committed()).isLessThanOrEqualTo(v.capacity()));
    }

    @Test
    void revertTransferRestoresTheBudgetAndForgetsTheId() {
        List<BudgetView> before = main.budgetTable();
        Map<LimitRef, Long> moved = main.giveAway("t1", "edge", Map.of(POOL, 4L, KEY_TOK, 100L));
        assertThat(main.revertTransfer("t1")).isTrue();
        assertThat(main.budgetTable()).isEqualTo(before);
        assertThat(main.revertTransfer("t1")).isFalse();
        // the append did get stored after all: replaying it applies it again
        main.applyTransfer("t1", "main", "edge", moved);
        assertThat(row(main, POOL).budgetByHub()).containsEntry("main", 1L);
    }

    @Test
    void revertTransferRefusesWhatIsNotAnUnappliedOwnTransfer() {
        assertThat(main.revertTransfer("nope")).isFalse();
        main.applyTransfer("e1", "edge", "main", Map.of(POOL, 1L));
        assertThat(main.revertTransfer("e1")).isFalse();
        main.giveAway("t1", "edge", Map.of(POOL, 1L));
        main.applyTransferApplied("t1", "main", "edge", Map.of(POOL, 1L));
        assertThat(main.revertTransfer("t1")).isFalse();
        // e1 still in flight (1), t1 received by edge
        assertThat(row(main, POOL).budgetByHub()).containsEntry("main", 4L).containsEntry("edge", 5L);
        assertThat(row(main, POOL).inFlight()).isEqualTo(1);
    }

    @Test
    void unknownLimitsAndHubsInEventsAreIgnored() {
        List<BudgetView> before = edge.budgetTable();
        LimitRef gone = LimitRef.ofKey("p", "removed-key", 0);
        edge.applyTransfer("t1", "mars", "edge", Map.of(POOL, 2L));
        edge.applyTransferApplied("t1", "mars", "edge", Map.of(POOL, 2L));
        edge.applyTakeover("mars", "edge", Map.of(POOL, 2L));
        edge.applyTransfer("t2", "main", "edge", Map.of(gone, 2L, LimitRef.ofPool("other", 0), 1L));
        edge.applyTransferApplied("t2", "main", "edge", Map.of(gone, 2L));
        edge.applyTakeover("main", "edge", Map.of(gone, 9L));
        assertThat(edge.budgetTable()).isEqualTo(before);
        edge.applyTransfer("t3", "main", "edge", Map.of(gone, 2L, POOL, 1L));
        assertThat(row(edge, POOL).budgetByHub()).containsEntry("main", 4L);
    }
}
