package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.RepeatedTest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;

class QuotaEngineGiveAwayConcurrencyTest {

    /**
     * Acquires on four threads race give-aways on another: every unit of this hub's budget is
     * either granted or given away, never both (grants + moved never exceed the budget), and
     * used never exceeds the budget afterwards (I2).
     */
    @RepeatedTest(5)
    void giveAwayNeverGivesMoreThanTheHeadroomLeftByConcurrentAcquires() throws Exception {
        ManualClock clock = new ManualClock(T0);
        PoolSpec pool = new PoolSpec("p", List.of(new KeySpec("k1", List.of(LimitSpec.requests(100_000, Duration.ofHours(1))), 0),
                new KeySpec("k2", List.of(LimitSpec.requests(100_000, Duration.ofHours(1))), 0)),
                List.of(LimitSpec.requests(4000, Duration.ofHours(1))), 0, Preset.PREMIUM);
        QuotaEngine e = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool))
                .budgetShares(Map.of("main", 0.5, "edge", 0.5)).build(), clock, EngineListener.NONE);
        LimitRef ref = LimitRef.ofPool("p", 0);
        AtomicLong grants = new AtomicLong();
        AtomicLong moved = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CyclicBarrier start = new CyclicBarrier(5);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 1000; i++) {
                        if (e.acquire(req("p", 0, Priority.HIGH)) instanceof Decision.Admitted) {
                            grants.incrementAndGet();
                        }
                    }
                } catch (Throwable x) {
                    failures.add(x);
                }
            }));
        }
        threads.add(new Thread(() -> {
            try {
                start.await();
                for (int i = 0; i < 400; i++) {
                    moved.addAndGet(e.giveAway("t" + i, "edge", Map.of(ref, 3L)).getOrDefault(ref, 0L));
                }
            } catch (Throwable x) {
                failures.add(x);
            }
        }));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        BudgetView b = e.budgetTable().get(0);
        assertThat(grants.get() + moved.get()).isLessThanOrEqualTo(2000);
        assertThat(b.inFlight()).isEqualTo(moved.get());
        assertThat(b.budgetByHub().get("main")).isEqualTo(2000 - moved.get());
        assertThat(b.usedByHub().get("main")).isEqualTo(grants.get()).isLessThanOrEqualTo(b.budgetByHub().get("main"));
        assertThat(b.committed()).isEqualTo(4000);
    }
}
