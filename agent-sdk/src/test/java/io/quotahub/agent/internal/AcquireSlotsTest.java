package io.quotahub.agent.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AcquireSlotsTest {

    private long now;
    private final AcquireSlots slots = new AcquireSlots(() -> now);

    private void fill() {
        while (slots.inFlight() < slots.limit()) {
            assertThat(slots.tryTake(() -> { })).isTrue();
        }
    }

    @Test
    void pastTheLimit_anAcquireWaitsAndIsWokenWithASlotWhenARequestIsAnswered() {
        fill();
        List<String> woken = new ArrayList<>();

        assertThat(slots.tryTake(() -> woken.add("first"))).isFalse();
        assertThat(slots.tryTake(() -> woken.add("second"))).isFalse();
        for (Runnable r : slots.release(false)) {
            r.run();
        }

        assertThat(woken).containsExactly("first");
        assertThat(slots.waiting()).isEqualTo(1);
        assertThat(slots.inFlight()).isEqualTo(AcquireSlots.INITIAL_LIMIT);
    }

    @Test
    void overloadCutsTheLimitOncePerIntervalAndAnswersRaiseItSlowly() {
        fill();

        slots.release(true);
        slots.release(true); // same backlog: no second cut
        assertThat(slots.limit()).isEqualTo((int) (AcquireSlots.INITIAL_LIMIT * AcquireSlots.DECREASE_FACTOR));

        now += AcquireSlots.DECREASE_EVERY_NANOS;
        slots.release(true);
        int cut = slots.limit();
        assertThat(cut).isLessThan((int) (AcquireSlots.INITIAL_LIMIT * AcquireSlots.DECREASE_FACTOR));

        for (int i = 0; i < 10 * cut; i++) {
            slots.tryTake(() -> { });
            slots.release(false);
        }
        assertThat(slots.limit()).isGreaterThan(cut);
    }

    @Test
    void theLimitNeverFallsBelowItsMinimum() {
        for (int i = 0; i < 100; i++) {
            slots.tryTake(() -> { });
            now += AcquireSlots.DECREASE_EVERY_NANOS;
            slots.release(true);
        }

        assertThat(slots.limit()).isEqualTo(AcquireSlots.MIN_LIMIT);
        assertThat(slots.tryTake(() -> { })).isTrue();
    }

    @Test
    void aSlotGivenBackUnusedWakesTheNextWaiter() {
        fill();
        List<String> woken = new ArrayList<>();
        slots.tryTake(() -> woken.add("waiter"));

        for (Runnable r : slots.giveBack()) {
            r.run();
        }

        assertThat(woken).containsExactly("waiter");
    }
}
