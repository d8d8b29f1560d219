package io.quotahub.engine;

import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.quotahub.engine.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blocks never heat a key by their reservations (docs/architecture.md, "Block leases"): whatever the
 * agents ask, use, settle or leave to expire, a block of more than one call leaves the key's
 * utilisation below its throttle threshold less the blocks' margin (85 % for {@code PREMIUM}); only
 * the one call a grant always admits can go further, as a per-call lease would.
 */
class BlockHeatPropertyTest {

    @Property(tries = 300)
    void aBlockOfMoreThanOneCall_neverTakesTheKeyToItsThrottleMargin(
            @ForAll @IntRange(min = 5, max = 400) int capacity,
            @ForAll @IntRange(min = 2, max = 200) int maxCalls,
            @ForAll @Size(min = 1, max = 150) List<@IntRange(min = 0, max = 999) Integer> steps) {
        ManualClock clock = new ManualClock(T0);
        PoolSpec pool = new PoolSpec("p", List.of(new KeySpec("k", List.of(LimitSpec.requests(capacity, Duration.ofSeconds(1))), 0)),
                List.of(), 0, Preset.PREMIUM).withBlocks(new BlockPolicy(maxCalls, Duration.ofMillis(500)));
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).settleMargin(Duration.ZERO).build(),
                clock, EngineListener.NONE);
        List<LeaseRecord> open = new ArrayList<>();
        int n = 0;
        for (int step : steps) {
            if (step < 600) { // an agent asks for a block of any size
                Decision d = engine.acquire(new AcquireRequest("p", 0, Priority.NORMAL, "agent-" + step % 12, "r" + n++)
                        .withBlock(1 + step % 250));
                if (d instanceof Decision.Admitted a) {
                    open.add(a.lease());
                    LimitView limit = engine.view().pools().get(0).keys().get(0).limits().get(0);
                    if (a.lease().calls() > 1) {
                        assertThat(limit.used() / (double) capacity).as("after a block of %d calls", a.lease().calls())
                                .isLessThan(0.85);
                    }
                }
            } else if (step < 850 && !open.isEmpty()) { // one settles, having used any part of it
                LeaseRecord l = open.remove(step % open.size());
                engine.settle(new Settlement(l.leaseId(), 0, Outcome.OK, Duration.ZERO, clock.instant(), step % (l.calls() + 1)));
            } else { // time passes: windows slide, blocks expire, the thermal model ticks
                clock.advance(Duration.ofMillis(step % 300));
                engine.expireDue().forEach(s -> open.removeIf(l -> l.leaseId().equals(s.leaseId())));
                engine.tick();
            }
        }
    }
}
