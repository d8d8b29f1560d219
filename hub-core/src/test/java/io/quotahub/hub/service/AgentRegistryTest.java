package io.quotahub.hub.service;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the registry keeps of an agent's heartbeats: proven, still-open leases of that agent only. */
class AgentRegistryTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-03-02T12:00:00Z"));
    private final QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main")
            .pools(List.of(new PoolSpec("demo", List.of(new KeySpec("k1", List.of(LimitSpec.requests(100, Duration.ofHours(1))), 0)),
                    List.of(), 0, Preset.STANDARD)))
            .build(), clock, EngineListener.NONE);
    private final AgentRegistry registry = new AgentRegistry(clock, Duration.ofSeconds(15), engine, 10,
            GuardMetrics.unregistered("main"));

    @Test
    void heartbeat_proofsSentOverSeveralMessagesAddUpAndSettledLeasesDropOut() {
        LeaseSecret s1 = LeaseSecret.issue();
        LeaseSecret s2 = LeaseSecret.issue();
        String l1 = grant("agent-a", s1);
        String l2 = grant("agent-a", s2);

        registry.heartbeat("agent-a", List.of(new AgentRegistry.Proof(l1, s1.reveal())), 0);
        registry.heartbeat("agent-a", List.of(new AgentRegistry.Proof(l2, s2.reveal())), 0);
        assertThat(registry.provenLeases("agent-a")).containsExactlyInAnyOrder(l1, l2);

        engine.settle(new Settlement(l1, 1, Outcome.OK, Duration.ZERO, clock.instant()));
        registry.heartbeat("agent-a", List.of(), 0);
        assertThat(registry.provenLeases("agent-a")).containsExactly(l2);
    }

    @Test
    void heartbeat_keepsNothingOfAnotherAgentsLeaseOrAWrongSecret() {
        LeaseSecret mine = LeaseSecret.issue();
        LeaseSecret theirs = LeaseSecret.issue();
        String own = grant("agent-a", mine);
        String other = grant("agent-b", theirs);

        registry.heartbeat("agent-a", List.of(new AgentRegistry.Proof(own, LeaseSecret.issue().reveal()),
                new AgentRegistry.Proof(other, theirs.reveal())), 0);

        assertThat(registry.provenLeases("agent-a")).isEmpty();
    }

    private String grant(String agent, LeaseSecret secret) {
        Decision d = engine.acquire(new AcquireRequest("demo", 1, Priority.NORMAL, agent, "r-" + agent + secret.digest(),
                secret.digest()));
        return ((Decision.Admitted) d).lease().leaseId();
    }
}
