package io.quotahub.engine.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SettledIdsTest {

    @Test
    void remembersSettledIdsUntilTheirRetentionIsOver() {
        SettledIds ids = new SettledIds(1_000);
        ids.add("main-abc-0", 0);
        ids.add("main-abc-1z", 500);
        assertThat(ids.contains("main-abc-0")).isTrue();
        assertThat(ids.contains("main-abc-1z")).isTrue();
        assertThat(ids.contains("main-abc-1")).isFalse();
        assertThat(ids.contains("main-abd-0")).isFalse();
        ids.prune(999);
        assertThat(ids.size()).isEqualTo(2);
        ids.prune(1_000);
        assertThat(ids.contains("main-abc-0")).isFalse();
        assertThat(ids.contains("main-abc-1z")).isTrue();
        ids.prune(1_500);
        assertThat(ids.size()).isZero();
        assertThat(ids.contains("main-abc-1z")).isFalse();
    }

    @Test
    void idsOfAnyOtherFormAreKeptWholeAndNeverConfusedWithWellFormedOnes() {
        SettledIds ids = new SettledIds(1_000);
        ids.add("abc-", 0);
        ids.add("x-01", 0);
        ids.add("lease-42", 0);
        ids.add("no dash", 0);
        ids.add("h-e-" + "zzzzzzzzzzzzzz", 0); // above Long.MAX_VALUE
        assertThat(ids.contains("abc-")).isTrue();
        assertThat(ids.contains("abc-0")).isFalse();
        assertThat(ids.contains("x-01")).isTrue();
        assertThat(ids.contains("x-1")).isFalse();
        assertThat(ids.contains("lease-42")).isTrue();
        assertThat(ids.contains("lease-43")).isFalse();
        assertThat(ids.contains("no dash")).isTrue();
        assertThat(ids.contains("h-e-zzzzzzzzzzzzzz")).isTrue();
        assertThat(ids.contains("LEASE-42")).isFalse();
        assertThat(ids.contains("lease-+42")).isFalse();
    }

    /** The structure behaves exactly as the map-and-queue it replaced, over random ids and times. */
    @Test
    void behavesAsAMapAndQueueOfIds() {
        Random rnd = new Random(7);
        for (int run = 0; run < 30; run++) {
            long retention = 200 + rnd.nextInt(2_000);
            SettledIds ids = new SettledIds(retention);
            Reference ref = new Reference(retention);
            List<String> seen = new ArrayList<>();
            long now = 0;
            long[] seqs = new long[3];
            for (int step = 0; step < 20_000; step++) {
                int op = rnd.nextInt(10);
                if (op < 5) {
                    int hub = rnd.nextInt(3);
                    String id = switch (rnd.nextInt(12)) {
                        case 0 -> "odd-" + rnd.nextInt(50) + "-x";
                        case 1 -> "h" + hub + "-ep" + rnd.nextInt(2) + "-" + Long.toString(rnd.nextInt(5_000), 36);
                        default -> "h" + hub + "-ep-" + Long.toString(seqs[hub] += 1 + rnd.nextInt(3), 36);
                    };
                    if (!ref.contains(id)) { // a lease is settled once
                        ids.add(id, now);
                        ref.add(id, now);
                        seen.add(id);
                    }
                } else if (op < 8 && !seen.isEmpty()) {
                    String id = seen.get(rnd.nextInt(seen.size()));
                    assertThat(ids.contains(id)).isEqualTo(ref.contains(id));
                } else if (op < 9) {
                    now += rnd.nextInt(100);
                } else {
                    ids.prune(now);
                    ref.prune(now);
                    assertThat(ids.size()).isEqualTo(ref.forgetAt.size());
                }
            }
            for (String id : seen) {
                assertThat(ids.contains(id)).as(id).isEqualTo(ref.contains(id));
            }
        }
    }

    @Test
    void forgetsTheOldestBeyondTheCap() {
        SettledIds ids = new SettledIds(Long.MAX_VALUE / 2);
        int n = SettledIds.MAX_REMEMBERED + 5;
        for (int i = 0; i < n; i++) {
            ids.add("main-e-" + Long.toString(i, 36), i);
        }
        ids.prune(n);
        assertThat(ids.size()).isEqualTo(SettledIds.MAX_REMEMBERED);
        assertThat(ids.contains("main-e-4")).isFalse();
        assertThat(ids.contains("main-e-5")).isTrue();
    }

    /** The former implementation: a map of forget times and a queue in settle order. */
    private static final class Reference {
        final Map<String, Long> forgetAt = new HashMap<>();
        final ArrayDeque<String> order = new ArrayDeque<>();
        final long retention;

        Reference(long retention) {
            this.retention = retention;
        }

        void add(String id, long now) {
            if (forgetAt.put(id, now + retention) == null) {
                order.add(id);
            }
        }

        boolean contains(String id) {
            return forgetAt.containsKey(id);
        }

        void prune(long now) {
            while (!order.isEmpty()) {
                Long until = forgetAt.get(order.peek());
                if (until != null && until > now && forgetAt.size() <= SettledIds.MAX_REMEMBERED) {
                    return;
                }
                forgetAt.remove(order.poll());
            }
        }
    }
}
