package io.quotahub.hub.service;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.RefusalCode;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.ledger.InMemoryLedger;
import io.quotahub.hub.replication.DemandCounter;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What counts as this hub's demand (which pulls budget to it): grants and refusals more budget could
 * cure, never the refusals of an agent that holds its share already.
 */
class AcquireDemandTest {

    private static final String POOL = "p";
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T12:00:00Z"));
    private final DemandCounter demand = new DemandCounter();
    private final AcquireService service = service(
            List.of(LimitSpec.requests(10, MINUTE)), new PoolPolicy(0, 1, 0, List.of()));

    @Test
    void anAgentRefusedForHoldingItsShareAddsNoDemand() {
        assertThat(acquire("flooder").join()).isInstanceOf(AcquireOutcome.Leased.class);
        for (int i = 0; i < 50; i++) {
            assertThat(acquire("flooder").join()).isInstanceOfSatisfying(AcquireOutcome.Refused.class,
                    r -> assertThat(r.refusal().code()).isEqualTo(RefusalCode.AGENT_LIMIT));
        }
        assertThat(demand.totals()).containsEntry(POOL, 1L);
    }

    @Test
    void grantsAndRefusalsForWantOfQuotaAreDemand() {
        for (int i = 0; i < 12; i++) {
            acquire("agent-" + i).join(); // 10 granted (the window holds 10), then 2 refused QUOTA/BUDGET
        }
        assertThat(demand.totals()).containsEntry(POOL, 12L);
    }

    private CompletableFuture<AcquireOutcome> acquire(String agent) {
        return service.acquire(new AcquireCommand(UUID.randomUUID().toString(), agent, POOL, 1,
                Priority.NORMAL, null));
    }

    private AcquireService service(List<LimitSpec> limits, PoolPolicy policy) {
        PoolSpec pool = new PoolSpec(POOL, List.of(new KeySpec("k1", limits, 0)), List.of(), 0, Preset.PREMIUM, policy);
        PoolsConfig pools = new PoolsConfig(List.of(pool), Map.of(new KeyRef(POOL, "k1"), new Secret("sk-test-demand-0001")),
                List.of(), Set.of());
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool))
                .budgetShares(Map.of("main", 1.0)).build(), clock, null);
        HubLedger ledger = new HubLedger();
        ledger.open(new InMemoryLedger());
        RequestIndex requests = new RequestIndex(clock, MINUTE, Duration.ofSeconds(2), id -> engine.openLease(id).isPresent());
        return new AcquireService(engine, ledger, pools, requests, clock, demand, Duration.ofSeconds(2));
    }
}
