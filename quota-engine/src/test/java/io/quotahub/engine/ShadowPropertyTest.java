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
 * Random acquires, settles and time steps against a key with an enforced limit and a stricter one
 * in canary mode: whatever the canary shadows, the enforced limit is never exceeded, an agent the
 * canary enforces for is never granted over the canary limit, and an agent it shadows is never
 * refused by it.
 */
class ShadowPropertyTest {

    private static final LimitSpec ENFORCED = LimitSpec.requests(12, Duration.ofSeconds(10));
    private static final LimitSpec CANARY = LimitSpec.requests(5, Duration.ofSeconds(10)).withEnforcement(Enforcement.canary(40));

    @Property(tries = 300)
    void aCanaryNeverBreaksTheEnforcedLimit_andTreatsEachAgentAsItsBucketSays(
            @ForAll @Size(min = 1, max = 120) List<@IntRange(min = 0, max = 99) Integer> steps) {
        ManualClock clock = new ManualClock(T0);
        PoolSpec pool = new PoolSpec("demo", List.of(new KeySpec("k1", List.of(ENFORCED, CANARY), 0)), List.of(), 0, Preset.PREMIUM);
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).build(), clock, EngineListener.NONE);
        List<LeaseRecord> open = new ArrayList<>();
        int n = 0;
        for (int step : steps) {
            if (step < 60) {
                String agent = "agent-" + (step % 12);
                Decision d = engine.acquire(new AcquireRequest("demo", 1, Priority.NORMAL, agent, "r" + n++));
                boolean enforcedFor = CANARY.enforcement().enforcesFor(agent);
                if (d instanceof Decision.Admitted a) {
                    open.add(a.lease());
                    if (enforcedFor) {
                        assertThat(a.shadow()).as("an enforced agent is granted only what fits").isNull();
                    }
                } else {
                    Refusal r = ((Decision.Denied) d).refusal();
                    if (!enforcedFor) {
                        assertThat(r.limit()).as("a shadowed agent is refused only by the enforced limit").isNotEqualTo(CANARY.describe());
                    }
                }
            } else if (step < 85 && !open.isEmpty()) {
                LeaseRecord l = open.remove(step % open.size());
                engine.settle(new Settlement(l.leaseId(), 1, Outcome.OK, Duration.ZERO, clock.instant()));
            } else {
                clock.advance(Duration.ofMillis(250L * (1 + step % 8)));
            }
            LimitView enforced = engine.view().pools().get(0).keys().get(0).limits().get(0);
            assertThat(enforced.used()).as("the enforced limit's window").isLessThanOrEqualTo(ENFORCED.capacity());
        }
    }

    @net.jqwik.api.Example
    void theAgentsOfTheProperty_fallOnBothSidesOfTheCanary() {
        long enforced = java.util.stream.IntStream.range(0, 12).filter(i -> CANARY.enforcement().enforcesFor("agent-" + i)).count();
        assertThat(enforced).isBetween(1L, 11L);
    }
}
