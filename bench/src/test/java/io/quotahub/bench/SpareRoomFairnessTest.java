package io.quotahub.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The key-with-room model: deterministic, inside the window, and its fair shares. */
class SpareRoomFairnessTest {

    @Test
    void aRunStaysWithinTheWindowAndIsTheSameEveryTime() {
        // the run itself throws if any second ever holds more calls than the key's limit
        SpareRoomFairness.Result big = SpareRoomFairness.run(100, 5_000, 0, 1.0);
        SpareRoomFairness.Result again = SpareRoomFairness.run(100, 5_000, 0, 1.0);

        assertThat(big.maxInWindow()).isLessThanOrEqualTo(SpareRoomFairness.CAPACITY);
        assertThat(again).isEqualTo(big);
        assertThat(big.demand()).isBetween(0.6, 0.7);
        assertThat(big.goodput()).isBetween(0.0, 1.0);
        assertThat(big.jain()).isBetween(0.0, 1.0);
    }

    @Test
    void blocksServeMoreCallsPerGrantThanSingleCallsOnTheQuieterKey() {
        SpareRoomFairness.Result single = SpareRoomFairness.run(1, 1_000, 0, 0.6);
        SpareRoomFairness.Result blocks = SpareRoomFairness.run(5, 1_000, 0, 0.6);

        assertThat(single.callsPerGrant()).isLessThanOrEqualTo(1.0);
        assertThat(blocks.callsPerGrant()).isGreaterThan(single.callsPerGrant());
        assertThat(blocks.maxInWindow()).isLessThanOrEqualTo(SpareRoomFairness.CAPACITY);
    }

    @Test
    void blocksNeverThrottleTheQuieterKey_andPayThere() {
        // before blocks were held briefly and sized below the throttle: 26-50 % of the time throttled
        for (long[] c : new long[][] {{5, 1_000}, {100, 2_000}, {100, 5_000}, {2, 250}}) {
            SpareRoomFairness.Result r = SpareRoomFairness.run((int) c[0], c[1], 0, 0.6);

            assertThat(r.throttled()).as("max-calls %d, expiry %d ms", c[0], c[1]).isZero();
            assertThat(r.callsPerGrant()).as("max-calls %d, expiry %d ms", c[0], c[1]).isGreaterThan(1.3);
            assertThat(r.jain()).isEqualTo(1.0);
        }
    }

    @Test
    void maxMinFairSharesFillTheSmallDemandsFirst() {
        double[] share = SpareRoomFairness.maxMinFair(new long[] {5, 5, 100, 100}, 100);

        assertThat(share[0]).isCloseTo(5, within(1e-9));
        assertThat(share[1]).isCloseTo(5, within(1e-9));
        assertThat(share[2]).isCloseTo(45, within(1e-9));
        assertThat(share[3]).isCloseTo(45, within(1e-9));
        assertThat(SpareRoomFairness.maxMinFair(new long[] {10, 20, 0}, 100)).containsExactly(10, 20, 0);
    }
}
