package io.quotahub.hub.service;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.Enforcement;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Refusal;
import io.quotahub.engine.RefusalCode;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.LivePools;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.ledger.InMemoryLedger;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.MetricNames;
import io.quotahub.hub.metrics.PolicyMetrics;
import io.quotahub.hub.replication.DemandCounter;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fallback pools on a manual clock: a pool with no room within the caller's wait is served by the
 * first fallback with room, the refusal lists every pool tried, and an opted-out call gets the
 * primary's refusal.
 */
class FallbackAcquireTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T12:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final HubLedger ledger = new HubLedger();
    private final InMemoryLedger memory = new InMemoryLedger();
    private QuotaEngine engine;
    private AcquireService service;
    private WaitingAcquire waiting;
    private final ManualTimer timer = new ManualTimer();

    /**
     * "primary": 1 request per 10 s, falls back to "second" (1 request per minute), then "third"
     * (1 request per 10 min). "solo" has no fallback.
     */
    private void start() {
        PoolSpec primary = pool("primary", "p1", LimitSpec.requests(1, Duration.ofSeconds(10)), List.of("second", "third"));
        PoolSpec second = pool("second", "s1", LimitSpec.requests(1, Duration.ofMinutes(1)), List.of());
        PoolSpec third = pool("third", "t1", LimitSpec.requests(1, Duration.ofMinutes(10)), List.of());
        List<PoolSpec> specs = List.of(primary, second, third);
        PoolsConfig pools = new PoolsConfig(specs, Map.of(new KeyRef("primary", "p1"), new Secret("sk-fallback-0001"),
                new KeyRef("second", "s1"), new Secret("sk-fallback-0002"), new KeyRef("third", "t1"),
                new Secret("sk-fallback-0003")), List.of(), Set.of());
        engine = new QuotaEngine(EngineConfig.builder("main").pools(specs).budgetShares(Map.of("main", 1.0)).build(), clock, null);
        ledger.open(memory);
        RequestIndex requests = new RequestIndex(clock, Duration.ofMinutes(2), Duration.ofSeconds(10), id -> engine.openLease(id).isPresent());
        service = new AcquireService(engine, ledger, LivePools.of(pools), requests, clock, new DemandCounter(), Duration.ofSeconds(2),
                InputBounds.ofDefaults(), GuardMetrics.unregistered("main"), new PolicyMetrics(registry, "main", specs),
                new io.quotahub.hub.ledger.ShadowWatch());
        waiting = new WaitingAcquire(service, ledger, timer, clock, Duration.ofSeconds(30), () -> 0.0);
    }

    private static PoolSpec pool(String name, String key, LimitSpec limit, List<String> fallback) {
        return new PoolSpec(name, List.of(new KeySpec(key, List.of(limit), 0)), List.of(), 0, Preset.PREMIUM,
                PoolPolicy.ofDefaults(), false, Enforcement.ENFORCED, fallback);
    }

    private static AcquireCommand cmd(String pool, String requestId) {
        return new AcquireCommand(requestId, "agent-" + requestId, pool, 1, Priority.NORMAL, null);
    }

    private static AcquireCommand withoutFallback(String pool, String requestId) {
        return new AcquireCommand(requestId, "agent-" + requestId, pool, 1, Priority.NORMAL, null, "", false, null);
    }

    private AcquireOutcome.Leased leased(AcquireCommand cmd) {
        AcquireOutcome o = service.acquire(cmd).join();
        assertThat(o).isInstanceOf(AcquireOutcome.Leased.class);
        return (AcquireOutcome.Leased) o;
    }

    private double count(String name, String pool, String fallback) {
        var c = registry.find(name).tag(MetricNames.TAG_POOL, pool).tag(MetricNames.TAG_FALLBACK, fallback).counter();
        return c == null ? -1 : c.count();
    }

    @Test
    void aPrimaryWithoutRoom_isServedByTheFirstFallbackWithRoom_andTheLeaseSaysWhichPoolAndKey() {
        start();
        assertThat(leased(cmd("primary", "r1")).lease().pool()).isEqualTo("primary");

        AcquireOutcome.Leased fromSecond = leased(cmd("primary", "r2"));
        AcquireOutcome.Leased fromThird = leased(cmd("primary", "r3"));

        assertThat(fromSecond.lease().pool()).isEqualTo("second");
        assertThat(fromSecond.lease().keyId()).isEqualTo("s1");
        assertThat(fromSecond.secret().reveal()).isEqualTo("sk-fallback-0002");
        assertThat(fromSecond.requestedPool()).isEqualTo("primary");
        assertThat(fromSecond.passedOver()).extracting(Refusal::pool).containsExactly("primary");
        assertThat(fromSecond.notice()).contains("leased from fallback pool second").contains("pool primary QUOTA_EXHAUSTED");
        assertThat(fromThird.lease().pool()).isEqualTo("third");
        assertThat(fromThird.passedOver()).extracting(Refusal::pool).containsExactly("primary", "second");
        assertThat(count(MetricNames.FALLBACK_LEASES, "primary", "second")).isEqualTo(1);
        assertThat(count(MetricNames.FALLBACK_LEASES, "primary", "third")).isEqualTo(1);
        assertThat(count(MetricNames.FALLBACK_REFUSALS, "primary", "second")).isEqualTo(1);
        // the ledger holds the grant under the pool that granted it: both hubs count it there
        assertThat(memory.events()).anyMatch(e -> e.hasGrant() && e.getGrant().getPool().equals("third"));
    }

    @Test
    void whenEveryPoolIsFull_theRefusalListsEveryPoolTriedInOrder_andLeadsWithTheOneThatFreesFirst() {
        start();
        leased(cmd("primary", "r1"));
        leased(cmd("primary", "r2"));
        leased(cmd("primary", "r3"));

        AcquireOutcome o = service.acquire(cmd("primary", "r4")).join();

        assertThat(o).isInstanceOfSatisfying(AcquireOutcome.Refused.class, r -> {
            assertThat(r.tried()).extracting(Refusal::pool).containsExactly("primary", "second", "third");
            assertThat(r.tried()).extracting(Refusal::code).containsOnly(RefusalCode.QUOTA_EXHAUSTED);
            Refusal soonest = r.tried().stream().min((a, b) -> a.retryAfter().compareTo(b.retryAfter())).orElseThrow();
            assertThat(r.refusal()).isEqualTo(soonest);
        });
        assertThat(registry.find(MetricNames.FALLBACK_EXHAUSTED).tag(MetricNames.TAG_POOL, "primary").counter().count()).isEqualTo(1);
    }

    @Test
    void aCallThatOptsOut_getsThePrimarysRefusal_andNothingFromAFallback() {
        start();
        leased(cmd("primary", "r1"));

        AcquireOutcome o = service.acquire(withoutFallback("primary", "r2")).join();

        assertThat(o).isInstanceOfSatisfying(AcquireOutcome.Refused.class, r -> {
            assertThat(r.refusal().pool()).isEqualTo("primary");
            assertThat(r.refusal().code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
            assertThat(r.tried()).isEmpty();
        });
        assertThat(engine.view().openLeases()).isEqualTo(1);
        assertThat(count(MetricNames.FALLBACK_LEASES, "primary", "second")).isZero();
    }

    @Test
    void aRetryOfTheRequestId_getsTheSameFallbackLease_notASecond() {
        start();
        leased(cmd("primary", "r1"));
        AcquireOutcome.Leased first = leased(cmd("primary", "r2"));

        AcquireOutcome.Leased again = leased(cmd("primary", "r2"));

        assertThat(again.lease().leaseId()).isEqualTo(first.lease().leaseId());
        assertThat(engine.view().openLeases()).isEqualTo(2);
    }

    @Test
    void aWaitingCallerWhosePrimaryHasRoomWithinTheWait_getsThePrimary_notAFallback() {
        start();
        AcquireOutcome.Leased held = leased(cmd("primary", "r1"));
        settle(held);

        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("primary", "r2"), Duration.ofSeconds(20));
        assertThat(waited).isNotDone();
        timer.advance(clock, Duration.ofSeconds(11));

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Leased g && g.lease().pool().equals("primary"));
    }

    @Test
    void aWaitingCallerWhosePrimaryHasNoRoomWithinTheWait_getsTheFallbackAtOnce() {
        start();
        AcquireOutcome.Leased held = leased(cmd("primary", "r1"));
        settle(held);

        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("primary", "r2"), Duration.ofSeconds(2));

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Leased g && g.lease().pool().equals("second"));
    }

    @Test
    void aPrimaryWithRoom_isAlwaysServedFirst() {
        start();
        AcquireOutcome.Leased g = leased(cmd("primary", "r1"));

        assertThat(g.lease().pool()).isEqualTo("primary");
        assertThat(g.passedOver()).isEmpty();
        assertThat(g.notice()).isEmpty();
    }

    private void settle(AcquireOutcome.Leased g) {
        SettleService settle = new SettleService(engine, ledger, clock, "main", Duration.ofSeconds(2));
        SettleOutcome done = settle.settle(new SettleCommand("s-" + g.lease().leaseId(), g.lease().leaseId(), g.lease().agentId(), 1,
                io.quotahub.engine.Outcome.OK, Duration.ZERO, null, null, g.leaseSecret().reveal(), Principals.NONE)).join();
        assertThat(done).isInstanceOf(SettleOutcome.Settled.class);
    }
}
