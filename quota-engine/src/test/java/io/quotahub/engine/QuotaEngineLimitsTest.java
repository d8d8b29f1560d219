package io.quotahub.engine;

import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.pool;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;

class QuotaEngineLimitsTest {

    private final ManualClock clock = new ManualClock(T0);
    private static final LimitSpec RPM60 = LimitSpec.requests(60, Duration.ofMinutes(1));

    private QuotaEngine engine(PoolSpec... pools) {
        return new QuotaEngine(config(pools).build(), clock, EngineListener.NONE);
    }

    private KeyView keyView(QuotaEngine e, String pool, String key) {
        return e.view().pools().stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow()
                .keys().stream().filter(k -> k.id().equals(key)).findFirst().orElseThrow();
    }

    /** 60 calls one second apart, each settled at once. */
    private void sixtyCalls(QuotaEngine e) {
        for (int i = 0; i < 60; i++) {
            LeaseRecord l = granted(e.acquire(req("demo", 0)));
            e.settle(ok(l, 0, clock));
            if (i < 59) {
                clock.advance(Duration.ofSeconds(1));
            }
        }
    }

    @Test
    void acquire_deniesThe61stRequestInAMinute_andRetryingAfterRetryAfterSucceeds() {
        QuotaEngine e = engine(pool("demo", Preset.PREMIUM, key("k1", RPM60)));
        sixtyCalls(e); // t = 59 s
        clock.advance(Duration.ofMillis(500));

        Refusal r = denied(e.acquire(req("demo", 0)));

        assertThat(r.code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        assertThat(r.pool()).isEqualTo("demo");
        assertThat(r.keyId()).isEqualTo("k1");
        assertThat(r.limit()).isEqualTo("requests 60/PT1M");
        // the first call (t = 0) leaves the window at 60 s + 250 ms margin
        assertThat(r.retryAfter()).isEqualTo(Duration.ofMillis(750));
        assertThat(r.message()).contains("key k1 of pool demo", "requests 60/PT1M is full (60/60 used)", "retry in 750 ms");

        clock.advance(Duration.ofMillis(749));
        assertThat(denied(e.acquire(req("demo", 0))).retryAfter()).isEqualTo(Duration.ofMillis(1));
        clock.advance(Duration.ofMillis(1));
        assertThat(granted(e.acquire(req("demo", 0))).keyId()).isEqualTo("k1");
    }

    @Test
    void view_countsUsedGrantedAndRefused() {
        QuotaEngine e = engine(pool("demo", Preset.PREMIUM, key("k1", RPM60)));
        sixtyCalls(e);
        e.acquire(req("demo", 0));
        e.acquire(req("demo", 0));

        KeyView k = keyView(e, "demo", "k1");
        assertThat(k.granted()).isEqualTo(60);
        assertThat(k.refused()).isEqualTo(2);
        LimitView l = k.limits().get(0);
        assertThat(l.used()).isEqualTo(60);
        assertThat(l.budget()).isEqualTo(60);
        assertThat(l.remaining()).isZero();
        assertThat(l.resetAt()).isEqualTo(T0.plusSeconds(60).plusMillis(250));
        assertThat(k.inFlight()).isZero();
    }

    @Test
    void window_slides_capacityComesBackExactlyAfterPerPlusMargin() {
        QuotaEngine e = engine(pool("p", Preset.PREMIUM, key("k", LimitSpec.requests(5, Duration.ofSeconds(1)))));
        for (int i = 0; i < 5; i++) {
            e.settle(ok(granted(e.acquire(req("p", 0))), 0, clock));
            clock.advance(Duration.ofMillis(200)); // the throttle paces to one per 200 ms
        }
        // t = 1000: calls at 0, 200, ..., 800 are all in (t - 1250, t]
        assertThat(denied(e.acquire(req("p", 0))).retryAfter()).isEqualTo(Duration.ofMillis(250));
        clock.set(T0.plusMillis(1249));
        assertThat(denied(e.acquire(req("p", 0))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        clock.set(T0.plusMillis(1250));
        granted(e.acquire(req("p", 0)));
        assertThat(keyView(e, "p", "k").limits().get(0).used()).isEqualTo(5);
    }

    @Test
    void unsettledLeasesOccupyCapacityUntilSettledAndThenSitAtTheirSettleTime() {
        QuotaEngine e = engine(pool("p", Preset.PREMIUM, key("k", LimitSpec.requests(2, Duration.ofSeconds(10)))));
        LeaseRecord a = granted(e.acquire(req("p", 0)));
        clock.advance(Duration.ofSeconds(1));
        granted(e.acquire(req("p", 0)));
        clock.advance(Duration.ofSeconds(30)); // both still unsettled: the window cannot free them
        Refusal r = denied(e.acquire(req("p", 0)));
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(60)); // only unsettled leases block: lease TTL
        e.settle(ok(a, 0, clock)); // now sits at t = 31 s
        clock.advance(Duration.ofSeconds(10));
        assertThat(denied(e.acquire(req("p", 0))).retryAfter()).isEqualTo(Duration.ofMillis(250));
        clock.advance(Duration.ofMillis(250));
        granted(e.acquire(req("p", 0)));
    }

    @Test
    void tokens_reserveTheEstimate_thenSettleRefundsOrCharges() {
        KeySpec k = key("k", LimitSpec.tokens(1000, Duration.ofMinutes(1)), LimitSpec.requests(100, Duration.ofMinutes(1)));
        QuotaEngine e = engine(pool("p", Preset.PREMIUM, k));
        LeaseRecord first = granted(e.acquire(req("p", 600)));
        assertThat(keyView(e, "p", "k").limits().get(0).used()).isEqualTo(600);

        Refusal r = denied(e.acquire(req("p", 500)));
        assertThat(r.limit()).isEqualTo("tokens 1000/PT1M");
        assertThat(r.message()).contains("600/1000 used, 500 asked");

        assertThat(e.settle(ok(first, 200, clock))).isEqualTo(SettleResult.SETTLED); // refund 400
        assertThat(keyView(e, "p", "k").limits().get(0).used()).isEqualTo(200);
        LeaseRecord second = granted(e.acquire(req("p", 500)));
        assertThat(keyView(e, "p", "k").limits().get(0).remaining()).isEqualTo(300);

        e.settle(ok(second, 900, clock)); // the provider charged more than estimated
        LimitView tokens = keyView(e, "p", "k").limits().get(0);
        assertThat(tokens.used()).isEqualTo(1100);
        assertThat(tokens.remaining()).isZero();
        assertThat(denied(e.acquire(req("p", 1, Priority.HIGH))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        // both settled leases still count one request each
        assertThat(keyView(e, "p", "k").limits().get(1).used()).isEqualTo(2);
    }

    @Test
    void zeroTokenCallsAreAllowed_andTooManyTokensForEveryKeyIsNoUsableKey() {
        QuotaEngine e = engine(pool("p", Preset.PREMIUM,
                key("small", LimitSpec.tokens(1000, Duration.ofMinutes(1))),
                key("big", LimitSpec.tokens(4000, Duration.ofMinutes(1)))));
        granted(e.acquire(req("p", 0)));
        assertThat(granted(e.acquire(req("p", 3000))).keyId()).isEqualTo("big");

        Refusal r = denied(e.acquire(req("p", 5000)));
        assertThat(r.code()).isEqualTo(RefusalCode.NO_USABLE_KEY);
        assertThat(r.message()).contains("5000 tokens");
        assertThat(r.retryAfter()).isPositive();
        assertThat(denied(e.acquire(req("p", -1))).code()).isEqualTo(RefusalCode.INVALID_REQUEST);
        assertThat(denied(e.acquire(req("nope", 1))).code()).isEqualTo(RefusalCode.UNKNOWN_POOL);
    }

    @Test
    void calendarDayLimit_resetsAtLocalMidnightInItsZone() {
        ZoneId ny = ZoneId.of("America/New_York");
        // 23:00 in New York on 2 March 2026 (UTC-5): midnight there is 05:00Z
        clock.set(Instant.parse("2026-03-03T04:00:00Z"));
        QuotaEngine e = engine(pool("p", Preset.PREMIUM, key("k", LimitSpec.requestsPerCalendarDay(3, ny))));
        for (int i = 0; i < 3; i++) {
            e.settle(ok(granted(e.acquire(req("p", 0))), 0, clock));
        }
        clock.set(Instant.parse("2026-03-03T04:59:59Z"));
        Refusal r = denied(e.acquire(req("p", 0)));
        assertThat(r.limit()).isEqualTo("requests 3/PT24H (calendar day America/New_York)");
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        LimitView v = keyView(e, "p", "k").limits().get(0);
        assertThat(v.calendarDayZone()).isEqualTo("America/New_York");
        assertThat(v.resetAt()).isEqualTo(Instant.parse("2026-03-03T05:00:00Z"));

        clock.set(Instant.parse("2026-03-03T05:00:00Z"));
        granted(e.acquire(req("p", 0)));
        assertThat(keyView(e, "p", "k").limits().get(0).used()).isEqualTo(1);
    }

    @Test
    void poolLimit_countsAllKeysTogether_andRefusesWithoutAKeyId() {
        PoolSpec p = new PoolSpec("p", List.of(key("a", RPM60), key("b", RPM60)),
                List.of(LimitSpec.requests(3, Duration.ofMinutes(1))), 0, Preset.PREMIUM);
        QuotaEngine e = engine(p);
        for (int i = 0; i < 3; i++) {
            granted(e.acquire(req("p", 0)));
        }
        Refusal r = denied(e.acquire(req("p", 0)));
        assertThat(r.keyId()).isNull();
        assertThat(r.limit()).isEqualTo("requests 3/PT1M");
        assertThat(r.message()).startsWith("pool p:");
        assertThat(e.view().pools().get(0).limits().get(0).used()).isEqualTo(3);
    }

    @Test
    void maxConcurrent_perKeyAndPerPool_countOpenLeases() {
        PoolSpec p = new PoolSpec("p", List.of(new KeySpec("a", List.of(RPM60), 2), new KeySpec("b", List.of(RPM60), 5)),
                List.of(), 3, Preset.PREMIUM);
        QuotaEngine e = engine(p);
        LeaseRecord l1 = granted(e.acquire(req("p", 0)));
        granted(e.acquire(req("p", 0)));
        granted(e.acquire(req("p", 0)));
        clock.advance(Duration.ofSeconds(10));
        Refusal pool = denied(e.acquire(req("p", 0)));
        assertThat(pool.code()).isEqualTo(RefusalCode.CONCURRENCY);
        assertThat(pool.keyId()).isNull();
        assertThat(pool.retryAfter()).isEqualTo(Duration.ofSeconds(50)); // the oldest lease expires then
        assertThat(e.view().pools().get(0).inFlight()).isEqualTo(3);

        e.settle(ok(l1, 0, clock));
        granted(e.acquire(req("p", 0)));
        assertThat(e.view().pools().get(0).keys()).extracting(KeyView::inFlight).containsExactly(1, 2);
    }

    @Test
    void keyMaxConcurrent_refusesTheKeyButOtherKeysServe() {
        PoolSpec p = new PoolSpec("p", List.of(new KeySpec("a", List.of(RPM60), 1)), List.of(), 0, Preset.PREMIUM);
        QuotaEngine e = engine(p);
        LeaseRecord l = granted(e.acquire(req("p", 0)));
        Refusal r = denied(e.acquire(req("p", 0)));
        assertThat(r.code()).isEqualTo(RefusalCode.CONCURRENCY);
        assertThat(r.keyId()).isEqualTo("a");
        e.settle(ok(l, 0, clock));
        granted(e.acquire(req("p", 0)));
    }

    @Test
    void failover_whenThePrimaryIsAt99Percent_theNextLeaseGoesToTheSecondaryAtOnce() {
        LimitSpec rpm100 = LimitSpec.requests(100, Duration.ofMinutes(1));
        QuotaEngine e = engine(pool("gemini-pro", Preset.STANDARD, key("primary", rpm100), key("secondary", rpm100)));
        for (int i = 0; i < 99; i++) { // the primary's history, from the ledger
            LeaseRecord l = new LeaseRecord("main-old-" + i, "main", "gemini-pro", "primary", 0, Priority.NORMAL, "a", "r", clock.instant(),
                    clock.instant().plusSeconds(60));
            e.replayGrant(l);
            e.settle(ok(l, 0, clock));
        }
        assertThat(granted(e.acquire(req("gemini-pro", 0))).keyId()).isEqualTo("secondary");
        assertThat(granted(e.acquire(req("gemini-pro", 0))).keyId()).isEqualTo("secondary");
    }

    @Test
    void whenTheFirstKeyIsFull_theNextGoesToAnother_andTheRefusalNamesTheKeyThatFreesFirst() {
        LimitSpec rpm1 = LimitSpec.requests(1, Duration.ofMinutes(1));
        QuotaEngine e = engine(pool("p", Preset.PREMIUM, key("a", rpm1), key("b", rpm1)));
        LeaseRecord a = granted(e.acquire(req("p", 0)));
        assertThat(a.keyId()).isEqualTo("a"); // ties go to config order
        e.settle(ok(a, 0, clock));
        clock.advance(Duration.ofSeconds(10));
        LeaseRecord b = granted(e.acquire(req("p", 0)));
        assertThat(b.keyId()).isEqualTo("b");
        e.settle(ok(b, 0, clock));
        clock.advance(Duration.ofSeconds(10));

        Refusal r = denied(e.acquire(req("p", 0)));
        assertThat(r.keyId()).isEqualTo("a");
        assertThat(r.retryAfter()).isEqualTo(Duration.ofMillis(40_250));
        assertThat(r.message()).contains("retry in 40.3 s");
    }
}
