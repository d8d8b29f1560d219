package io.quotahub.engine.internal;

import io.quotahub.engine.LimitSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SlidingWindowTest {

    private static SlidingWindow window(LimitSpec spec, long margin) {
        Budgets budgets = new Budgets(Map.of("main", 1.0), "main");
        return new SlidingWindow(spec, "r", margin, budgets.register("r", spec.capacity()));
    }

    @Test
    void outOfOrderSettleTimesAreKeptSorted_soEvictionAndRetryStayExact() {
        SlidingWindow w = window(LimitSpec.tokens(100, Duration.ofSeconds(10)), 0);
        w.charge(5_000, 30, true);
        w.charge(1_000, 20, true); // arrives late from a ledger
        w.charge(3_000, 40, true);
        w.advance(5_000);
        assertThat(w.usedOwn()).isEqualTo(90);
        // 50 more need 40 to leave: the entries at 1 s (20) and 3 s (40) leave at 11 s and 13 s
        assertThat(w.millisUntilFits(5_000, 50)).isEqualTo(8_000);
        w.advance(11_000);
        assertThat(w.usedOwn()).isEqualTo(70);
        w.advance(13_000);
        assertThat(w.usedOwn()).isEqualTo(30);
        assertThat(w.admits(70)).isTrue();
        assertThat(w.admits(71)).isFalse();
    }

    @Test
    void externalLevel_replacesTheEarlierOne_ignoresAnOlderOne_leavesAtItsEnd_andRetryWaitsForIt() {
        SlidingWindow w = window(LimitSpec.requests(20, Duration.ofSeconds(5)), 0);
        w.advance(1_000);
        w.charge(1_000, 5, true);
        assertThat(w.bookExternal(1_000, "main", 6_000, new long[]{8, 0})).isEqualTo(8);
        assertThat(w.usedOwn()).isEqualTo(13);
        // a later level replaces it (not 8 + 6); an older one folded late changes nothing
        assertThat(w.bookExternal(2_000, "edge", 9_000, new long[]{6, 0})).isZero();
        // same time, a hub id before "edge"
        assertThat(w.bookExternal(2_000, "a", 9_500, new long[]{9, 0})).isZero();
        assertThat(w.usedAll()).isEqualTo(11);
        assertThat(w.roomWithoutExternal(0)).isEqualTo(15);
        // the provider counts it one window at most (until 7 s, not 9.5 s), the window holds it one
        // more (until 12 s) unless a report replaces it; the settled 5 leave at 6 s first
        assertThat(w.externalUntil()).isEqualTo(7_000);
        assertThat(w.millisUntilFits(2_000, 12)).isEqualTo(4_000);
        assertThat(w.millisUntilFits(2_000, 15)).isEqualTo(10_000);
        assertThat(w.millisUntilFits(2_000, 21)).isEqualTo(-1);
        assertThat(w.nextEvictionAt(2_000)).isEqualTo(6_000);
        w.advance(11_999);
        assertThat(w.usedAll()).isEqualTo(6);
        assertThat(w.nextEvictionAt(11_999)).isEqualTo(12_000);
        w.advance(12_000);
        assertThat(w.usedAll()).isZero();
        assertThat(w.nextEvictionAt(12_000)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void entriesOlderThanTheWindowAreDropped_andTheArrayGrows() {
        SlidingWindow w = window(LimitSpec.requests(1000, Duration.ofSeconds(1)), 250);
        w.advance(10_000);
        w.charge(8_000, 1, true); // already out of every future window
        assertThat(w.usedAll()).isZero();
        for (int i = 0; i < 500; i++) {
            w.charge(10_000 + i, 1, i % 2 == 0);
        }
        assertThat(w.usedAll()).isEqualTo(500);
        assertThat(w.usedOwn()).isEqualTo(250);
        w.advance(11_250 + 99); // entries at 10_000..10_099 are out
        assertThat(w.usedAll()).isEqualTo(400);
        assertThat(w.resetAt(11_349).toEpochMilli()).isEqualTo(10_100 + 1_250);
    }

    @Test
    void unsettledUnitsBlockUntilReleased_andRetryIsUnknownThen() {
        SlidingWindow w = window(LimitSpec.requests(2, Duration.ofSeconds(1)), 0);
        w.reserve(1, true);
        w.reserve(1, true);
        assertThat(w.admits(1)).isFalse();
        assertThat(w.millisUntilFits(0, 1)).isEqualTo(-1);
        w.release(1, true);
        assertThat(w.admits(1)).isTrue();
        w.reserve(1, false); // another hub's lease: shown, but not charged to this hub's budget
        assertThat(w.usedAll()).isEqualTo(2);
        assertThat(w.usedOwn()).isEqualTo(1);
        assertThat(w.admits(1)).isTrue();
    }

    @Test
    void fitsIsUsedPlusCostAtMostBudget() {
        assertThat(SlidingWindow.fits(59, 1, 60)).isTrue();
        assertThat(SlidingWindow.fits(60, 1, 60)).isFalse();
        assertThat(SlidingWindow.fits(60, 0, 60)).isTrue();
    }

    @Test
    void reattributeMovesOpenAndSettledUnitsOfOneHubToAnother_andEvictionFollows() {
        Budgets budgets = new Budgets(Map.of("main", 0.5, "edge", 0.5), "main");
        SlidingWindow w = new SlidingWindow(LimitSpec.requests(10, Duration.ofSeconds(10)), "r", 0, budgets.register("r", 10));
        int main = budgets.slot("main");
        int edge = budgets.slot("edge");
        w.charge(1_000, 2, edge);
        w.charge(2_000, 1, main);
        w.reserve(3, edge);
        w.advance(5_000);
        assertThat(w.usedOwn()).isEqualTo(1);
        assertThat(w.usedBy(edge)).isEqualTo(5);
        w.reattribute(edge, main);
        assertThat(w.usedOwn()).isEqualTo(6);
        assertThat(w.usedBy(edge)).isZero();
        assertThat(w.usedAll()).isEqualTo(6);
        assertThat(w.admits(0)).isFalse(); // budget 5, 6 counted against it
        w.advance(11_000); // the 2 settled at 1 s leave, from main's count now
        assertThat(w.usedOwn()).isEqualTo(4);
        assertThat(w.millisUntilFits(11_000, 2)).isEqualTo(1_000);
        w.release(3, main);
        w.charge(11_500, 1, edge); // a later lease of edge stays edge's
        assertThat(w.usedBy(edge)).isEqualTo(1);
        assertThat(w.usedOwn()).isEqualTo(1);
    }
}
