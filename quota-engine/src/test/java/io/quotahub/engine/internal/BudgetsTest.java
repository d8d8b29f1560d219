package io.quotahub.engine.internal;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BudgetsTest {

    @Test
    void oneHubGetsTheWholeCapacity() {
        Budgets b = new Budgets(Map.of("main", 1.0), "main");
        assertThat(b.register("p/k#0", 60).own()).isEqualTo(60);
    }

    @Test
    void anOddCapacitySplitsWithoutLosingTheUnitRoundingLeftOver() {
        Budgets b = new Budgets(Map.of("main", 0.5, "edge", 0.5), "main");
        Budgets.Cell c = b.register("p/k#0", 9);
        assertThat(c.own()).isEqualTo(4);
        assertThat(c.of("edge")).isEqualTo(5);
        assertThat(c.total()).isEqualTo(9);
    }

    @Test
    void aLimitOfOneStillBelongsToOneHub() {
        Budgets atMain = new Budgets(Map.of("main", 0.5, "edge", 0.5), "main");
        Budgets atEdge = new Budgets(Map.of("main", 0.5, "edge", 0.5), "edge");

        Budgets.Cell main = atMain.register("p/k#0", 1);
        Budgets.Cell edge = atEdge.register("p/k#0", 1);

        assertThat(main.total()).isEqualTo(1);
        assertThat(main.of("edge")).isEqualTo(edge.of("edge")).isEqualTo(1);
        assertThat(main.of("main")).isEqualTo(edge.of("main")).isZero();
    }

    @Test
    void sharesBelowOneNeverAddUpToMoreThanTheirPart() {
        Budgets b = new Budgets(Map.of("main", 0.3, "edge", 0.3), "main");
        Budgets.Cell c = b.register("p/k#0", 9);
        assertThat(c.total()).isEqualTo(4);
    }

    @Test
    void transferGivesAwayOnlyUnusedHeadroom() {
        Budgets b = new Budgets(Map.of("main", 0.5, "edge", 0.5), "main");
        b.register("r", 100);
        assertThat(b.transfer("r", "main", "edge", 30, 35)).isEqualTo(15); // 50 - 35 used
        assertThat(b.budget("r", "main")).isEqualTo(35);
        assertThat(b.budget("r", "edge")).isEqualTo(65);
        assertThat(b.transfer("r", "main", "edge", 10, 35)).isZero();
        assertThat(b.transfer("r", "main", "edge", 10, 40)).isZero(); // over budget: nothing to give
    }

    @Test
    void inFlightTransfersCountTowardsTheCapacity() {
        Budgets b = new Budgets(Map.of("main", 0.6, "edge", 0.4), "main");
        Budgets.Cell c = b.register("r", 10);
        long moved = b.giveAway("r", "main", 4, 1);
        assertThat(moved).isEqualTo(4);
        assertThat(c.inFlight()).isEqualTo(4);
        assertThat(c.total()).isEqualTo(10);
        b.receive("r", "edge", moved);
        assertThat(c.of("edge")).isEqualTo(8);
        assertThat(c.inFlight()).isZero();
        assertThatThrownBy(() -> b.receive("r", "edge", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.transfer("r", "main", "mars", 1, 0)).hasMessageContaining("mars");
    }

    /** I1 and I2 under random shares, usage and transfers (half of them left in flight for a while). */
    @Property(tries = 300)
    void invariantsI1AndI2HoldUnderRandomTransfers(@ForAll @LongRange(min = 1, max = 100_000) long capacity,
                                                   @ForAll @IntRange(min = 0, max = 100) int sharePercent,
                                                   @ForAll long seed) {
        double share = sharePercent / 100.0;
        Budgets b = new Budgets(Map.of("main", share, "edge", 1 - share), "main");
        Budgets.Cell c = b.register("r", capacity);
        Random rnd = new Random(seed);
        long usedMain = 0;
        long usedEdge = 0;
        long pendingToEdge = 0;
        for (int i = 0; i < 50; i++) {
            // each hub admits only within its budget (I2 holds by admission); usage may also fall
            usedMain = Math.min(c.of("main"), Math.max(0, usedMain + rnd.nextInt(21) - 10));
            usedEdge = Math.min(c.of("edge"), Math.max(0, usedEdge + rnd.nextInt(21) - 10));
            long units = rnd.nextInt((int) Math.min(capacity, 1000) + 1);
            if (rnd.nextBoolean()) {
                b.transfer("r", "edge", "main", units, usedEdge);
            } else {
                pendingToEdge += b.giveAway("r", "main", units, usedMain);
            }
            if (rnd.nextInt(3) == 0) {
                b.receive("r", "edge", pendingToEdge);
                pendingToEdge = 0;
            }
            assertThat(c.total()).as("I1").isLessThanOrEqualTo(capacity);
            assertThat(usedMain).as("I2 main").isLessThanOrEqualTo(c.of("main"));
            assertThat(usedEdge).as("I2 edge").isLessThanOrEqualTo(c.of("edge"));
        }
    }

    @Property(tries = 300)
    void initialSplitNeverExceedsCapacity(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 4) long capacity,
                                          @ForAll @IntRange(min = 0, max = 1000) int a,
                                          @ForAll @IntRange(min = 0, max = 1000) int b) {
        double sa = a / 1000.0;
        double sb = Math.max(0, Math.min(1 - sa, b / 1000.0));
        long[] split = Budgets.split(capacity, new double[] {sa, sb});
        assertThat(split[0] + split[1]).isLessThanOrEqualTo(capacity);
        assertThat(Math.min(split[0], split[1])).isNotNegative();
    }
}
