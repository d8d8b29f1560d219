package io.quotahub.engine;

import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.config2;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.outcome;
import static io.quotahub.engine.Fixtures.pool;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;

class QuotaEngineLifecycleTest {

    private final ManualClock clock = new ManualClock(T0);
    private static final KeySpec K = key("k", LimitSpec.requests(50, Duration.ofMinutes(1)), LimitSpec.tokens(10_000, Duration.ofMinutes(1)));

    private QuotaEngine engine(EngineListener listener) {
        return new QuotaEngine(config(pool("p", Preset.PREMIUM, K, key("k2", LimitSpec.requests(50, Duration.ofMinutes(1)))))
                .leaseTtl(Duration.ofSeconds(10)).build(), clock, listener);
    }

    private KeyView k(QuotaEngine e) {
        return e.view().pools().get(0).keys().get(0);
    }

    @Test
    void grantedLeaseHasAnIdOfThisHub_anExpiryOneTtlAhead_andIsOpen() {
        QuotaEngine e = engine(EngineListener.NONE);
        LeaseRecord l = granted(e.acquire(req("p", 100)));
        assertThat(l.leaseId()).startsWith("main-");
        assertThat(l.hubId()).isEqualTo("main");
        assertThat(l.grantedAt()).isEqualTo(T0);
        assertThat(l.expiresAt()).isEqualTo(T0.plusSeconds(10));
        assertThat(e.openLease(l.leaseId())).contains(l);
        assertThat(e.view().openLeases()).isEqualTo(1);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            ids.add(granted(e.acquire(req("p", 0))).leaseId());
        }
        assertThat(ids).hasSize(40).doesNotContain(l.leaseId());
    }

    @Test
    void settleIsIdempotent_andUnknownLeasesAreNamedSo() {
        QuotaEngine e = engine(EngineListener.NONE);
        LeaseRecord l = granted(e.acquire(req("p", 100)));
        assertThat(e.settle(ok(l, 80, clock))).isEqualTo(SettleResult.SETTLED);
        assertThat(e.settle(ok(l, 80, clock))).isEqualTo(SettleResult.ALREADY_SETTLED);
        assertThat(e.settle(outcome(l, Outcome.ERROR, Duration.ZERO, clock))).isEqualTo(SettleResult.ALREADY_SETTLED);
        assertThat(e.settle(new Settlement("main-nope-1", 1, Outcome.OK, Duration.ZERO, clock.instant())))
                .isEqualTo(SettleResult.UNKNOWN_LEASE);
        assertThat(k(e).limits().get(1).used()).isEqualTo(80);
        assertThat(k(e).errors()).isZero();
        assertThat(e.openLease(l.leaseId())).isEmpty();
    }

    @Test
    void settledIdsAreForgottenAfterTtlPlusTheLongestWindow() {
        QuotaEngine e = engine(EngineListener.NONE);
        LeaseRecord l = granted(e.acquire(req("p", 0)));
        e.settle(ok(l, 0, clock));
        clock.advance(Duration.ofSeconds(70)); // 10 s TTL + 60 s window
        e.tick();
        assertThat(e.settle(ok(l, 0, clock))).isEqualTo(SettleResult.ALREADY_SETTLED);
        clock.advance(Duration.ofMillis(250));
        e.tick();
        assertThat(e.settle(ok(l, 0, clock))).isEqualTo(SettleResult.UNKNOWN_LEASE);
    }

    @Test
    void cancel_undoesAGrantAsIfItNeverHappened() {
        QuotaEngine e = engine(EngineListener.NONE);
        LeaseRecord l = granted(e.acquire(req("p", 500)));
        e.cancel(l.leaseId());
        assertThat(e.openLease(l.leaseId())).isEmpty();
        KeyView k = k(e);
        assertThat(k.granted()).isZero();
        assertThat(k.inFlight()).isZero();
        assertThat(k.limits()).extracting(LimitView::used).containsExactly(0L, 0L);
        assertThat(e.settle(ok(l, 1, clock))).isEqualTo(SettleResult.UNKNOWN_LEASE);
        e.cancel(l.leaseId()); // twice is harmless
        assertThat(e.view().openLeases()).isZero();
    }

    @Test
    void expireDue_settlesOverdueLeasesAsExpiredAtTheirExpiry_chargingTheFullEstimate() {
        QuotaEngine e = engine(EngineListener.NONE);
        LeaseRecord l = granted(e.acquire(req("p", 300)));
        clock.advance(Duration.ofSeconds(5));
        LeaseRecord young = granted(e.acquire(req("p", 0)));
        clock.advance(Duration.ofMillis(5_500));

        List<Settlement> expired = e.expireDue();

        assertThat(expired).containsExactly(new Settlement(l.leaseId(), 300, Outcome.EXPIRED, Duration.ZERO, l.expiresAt()));
        assertThat(e.expireDue()).isEmpty();
        assertThat(e.openLease(young.leaseId())).isPresent();
        assertThat(k(e).limits().get(1).used()).isEqualTo(300);
        assertThat(e.view().pools().get(0).inFlight()).isEqualTo(1);
        assertThat(k(e).inFlight()).isZero();
        assertThat(e.settle(ok(l, 10, clock))).isEqualTo(SettleResult.ALREADY_SETTLED);
        assertThat(k(e).circuit()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void replayGrantAndSettle_rebuildTheSameViewAsLiveOperation() {
        List<Object> ledger = new ArrayList<>();
        EngineListener recorder = new EngineListener() {
            @Override
            public void onGranted(LeaseRecord lease) {
                ledger.add(lease);
            }

            @Override
            public void onSettled(LeaseRecord lease, Settlement settlement) {
                ledger.add(settlement);
            }
        };
        QuotaEngine live = engine(recorder);
        List<LeaseRecord> open = new ArrayList<>();
        Outcome[] outcomes = {Outcome.OK, Outcome.RATE_LIMITED, Outcome.OK, Outcome.ERROR, Outcome.OK};
        for (int i = 0; i < 20; i++) {
            Decision d = live.acquire(req("p", 10L * i));
            if (d instanceof Decision.Admitted g) {
                open.add(g.lease());
            }
            clock.advance(Duration.ofMillis(700));
            if (i % 3 == 0 && !open.isEmpty()) {
                LeaseRecord l = open.remove(0);
                live.settle(new Settlement(l.leaseId(), 5L * i, outcomes[i % outcomes.length], Duration.ZERO, clock.instant()));
            }
        }
        clock.advance(Duration.ofSeconds(4));
        ledger.addAll(live.expireDue().stream().filter(s -> !ledger.contains(s)).toList());

        QuotaEngine rebuilt = engine(EngineListener.NONE);
        for (Object event : ledger) {
            if (event instanceof LeaseRecord l) {
                rebuilt.replayGrant(l);
                rebuilt.replayGrant(l); // idempotent
            } else {
                rebuilt.settle((Settlement) event);
            }
        }
        assertThat(rebuilt.view()).isEqualTo(live.view());
        assertThat(live.view().pools().get(0).keys().stream().mapToLong(KeyView::granted).sum()).isEqualTo(20);

        // the rebuilt hub never reuses a replayed lease id
        Set<String> replayed = new HashSet<>();
        ledger.stream().filter(LeaseRecord.class::isInstance).forEach(l -> replayed.add(((LeaseRecord) l).leaseId()));
        clock.advance(Duration.ofMinutes(2));
        assertThat(replayed).doesNotContain(granted(rebuilt.acquire(req("p", 0))).leaseId());
    }

    @Test
    void restartedHubWithAnEarlierClockStillDoesNotReuseIds() {
        QuotaEngine first = engine(EngineListener.NONE);
        LeaseRecord a = granted(first.acquire(req("p", 0)));
        LeaseRecord b = granted(first.acquire(req("p", 0)));
        clock.set(T0.minusSeconds(5)); // the machine's clock stepped back
        QuotaEngine second = engine(EngineListener.NONE);
        second.replayGrant(a);
        second.replayGrant(b);
        String next = granted(second.acquire(req("p", 0))).leaseId();
        assertThat(next).isNotIn(a.leaseId(), b.leaseId());
    }

    @Test
    void listenerHearsGrantsRefusalsAndSettles() {
        AtomicInteger grants = new AtomicInteger();
        List<Refusal> refusals = new ArrayList<>();
        List<Settlement> settles = new ArrayList<>();
        QuotaEngine e = new QuotaEngine(config(pool("p", Preset.PREMIUM, key("k", LimitSpec.requests(1, Duration.ofMinutes(1))))).build(),
                clock, new EngineListener() {
                    @Override
                    public void onGranted(LeaseRecord lease) {
                        grants.incrementAndGet();
                    }

                    @Override
                    public void onRefused(String pool, Refusal refusal) {
                        refusals.add(refusal);
                    }

                    @Override
                    public void onSettled(LeaseRecord lease, Settlement settlement) {
                        settles.add(settlement);
                    }
                });
        LeaseRecord l = granted(e.acquire(req("p", 0)));
        e.acquire(req("p", 0));
        e.acquire(req("nope", 0));
        e.settle(ok(l, 0, clock));
        assertThat(grants).hasValue(1);
        assertThat(refusals).extracting(Refusal::code).containsExactly(RefusalCode.QUOTA_EXHAUSTED, RefusalCode.UNKNOWN_POOL);
        assertThat(refusals).allSatisfy(r -> assertThat(r.retryAfter()).isPositive());
        assertThat(settles).hasSize(1);
    }

    @Test
    void budgets_eachHubAdmitsOnlyAgainstItsShare_whileViewsCountAllHubs() {
        QuotaEngine main = new QuotaEngine(config2(Map.of("main", 0.5, "edge", 0.5),
                pool("p", Preset.PREMIUM, key("k", LimitSpec.requests(9, Duration.ofMinutes(1))))).build(), clock, EngineListener.NONE);
        for (int i = 0; i < 3; i++) { // the peer's grants, read from its ledger
            main.replayGrant(new LeaseRecord("edge-1-" + i, "edge", "p", "k", 0, Priority.NORMAL, "a", "r", clock.instant(),
                    clock.instant().plusSeconds(60)));
        }
        for (int i = 0; i < 4; i++) {
            granted(main.acquire(req("p", 0, Priority.HIGH)));
        }
        Refusal r = denied(main.acquire(req("p", 0, Priority.HIGH)));
        assertThat(r.code()).isEqualTo(RefusalCode.BUDGET_EXHAUSTED);
        assertThat(r.message()).contains("4/4 of its budget", "7/9 used by all hubs");
        LimitView v = main.view().pools().get(0).keys().get(0).limits().get(0);
        assertThat(v.used()).isEqualTo(7);
        assertThat(v.budget()).isEqualTo(4);
        assertThat(v.remaining()).isZero();
    }
}
