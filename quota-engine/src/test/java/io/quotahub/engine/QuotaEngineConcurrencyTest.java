package io.quotahub.engine;

import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.pool;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;

class QuotaEngineConcurrencyTest {

    @Test
    void concurrentAcquireSettleAndViewKeepEveryCountConsistent() throws Exception {
        ManualClock clock = new ManualClock(T0);
        LimitSpec big = LimitSpec.requests(1_000_000, Duration.ofHours(1));
        LimitSpec capped = LimitSpec.requests(500, Duration.ofHours(1));
        QuotaEngine e = new QuotaEngine(config(pool("a", Preset.PREMIUM, key("a1", big), key("a2", capped)),
                pool("b", Preset.PREMIUM, key("b1", capped))).build(), clock, EngineListener.NONE);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong grants = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String pool = t % 2 == 0 ? "a" : "b";
            workers.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 3000; i++) {
                        if (e.acquire(req(pool, 0, Priority.HIGH)) instanceof Decision.Admitted g) {
                            grants.incrementAndGet();
                            Settlement s = new Settlement(g.lease().leaseId(), 0, Outcome.OK, Duration.ZERO, clock.instant());
                            assertThat(e.settle(s)).isEqualTo(SettleResult.SETTLED);
                            assertThat(e.settle(s)).isEqualTo(SettleResult.ALREADY_SETTLED);
                        }
                    }
                } catch (Throwable x) {
                    failures.add(x);
                }
            }));
        }
        Thread viewer = new Thread(() -> {
            try {
                while (!done.get()) {
                    for (PoolView p : e.view().pools()) {
                        for (KeyView k : p.keys()) {
                            assertThat(k.limits().get(0).used()).isLessThanOrEqualTo(k.limits().get(0).capacity());
                        }
                    }
                    e.tick();
                    clock.advance(Duration.ofMillis(1));
                }
            } catch (Throwable x) {
                failures.add(x);
            }
        });
        viewer.start();
        workers.forEach(Thread::start);
        for (Thread w : workers) {
            w.join();
        }
        done.set(true);
        viewer.join();

        assertThat(failures).isEmpty();
        long used = 0;
        long granted = 0;
        for (PoolView p : e.view().pools()) {
            assertThat(p.inFlight()).isZero();
            for (KeyView k : p.keys()) {
                used += k.limits().get(0).used();
                granted += k.granted();
            }
        }
        assertThat(granted).isEqualTo(grants.get());
        assertThat(used).isEqualTo(grants.get());
        // HIGH bypasses pacing but never a limit: the capped key is exactly full
        assertThat(e.view().pools().get(1).keys().get(0).limits().get(0).used()).isEqualTo(500);
        assertThat(e.view().openLeases()).isZero();
    }
}
