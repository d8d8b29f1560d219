package io.quotahub.engine;

import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.ThermalView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.outcome;
import static io.quotahub.engine.Fixtures.pool;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class QuotaEngineThermalTest {

    private final ManualClock clock = new ManualClock(T0);
    private final List<String> zones = new ArrayList<>();
    private final EngineListener listener = new EngineListener() {
        @Override
        public void onZoneChanged(String pool, String keyId, Zone from, Zone to) {
            if (keyId != null) {
                zones.add(from + "->" + to);
            }
        }
    };
    /** Temperature = 100 x utilisation at each tick: makes zones easy to drive. */
    private static final ThermalConfig DIRECT = new ThermalConfig(Duration.ofSeconds(30), 1.0);

    private QuotaEngine engine(ThermalConfig thermal, Preset preset, LimitSpec limit) {
        return new QuotaEngine(config(pool("p", preset, key("k", limit))).thermal(thermal).build(), clock, listener);
    }

    private static KeyView k(QuotaEngine e) {
        return e.view().pools().get(0).keys().get(0);
    }

    private void grantAndSettle(QuotaEngine e, int n, Priority priority) {
        for (int i = 0; i < n; i++) {
            e.settle(ok(granted(e.acquire(req("p", 0, priority))), 0, clock));
        }
    }

    @Test
    void zonesGoOptimalNominalElevatedCriticalThrottledAsLoadRises() {
        QuotaEngine e = engine(DIRECT, Preset.PREMIUM, LimitSpec.requests(100, Duration.ofMinutes(1)));
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.OPTIMAL);
        grantAndSettle(e, 45, Priority.NORMAL);
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.NOMINAL);
        grantAndSettle(e, 20, Priority.NORMAL);
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.ELEVATED);
        grantAndSettle(e, 20, Priority.NORMAL);
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.CRITICAL);
        assertThat(k(e).thermal().temperature()).isCloseTo(85, within(1e-9));
        assertThat(k(e).health()).isEqualTo(Health.DEGRADED);
        grantAndSettle(e, 10, Priority.NORMAL); // 95 %: the throttle engages at once

        ThermalView t = k(e).thermal();
        assertThat(t.throttled()).isTrue();
        assertThat(t.zone()).isEqualTo(Zone.THROTTLED);
        assertThat(t.throttleEvents()).isEqualTo(1);
        assertThat(zones).containsExactly("OPTIMAL->NOMINAL", "NOMINAL->ELEVATED", "ELEVATED->CRITICAL", "CRITICAL->THROTTLED");
    }

    @Test
    void zoneBoundsAndTheThrottlePointComeFromTheConfig() {
        ThermalConfig custom = new ThermalConfig(Duration.ofSeconds(30), 1.0, new ZoneBounds(20, 30, 50, 90),
                OptionalDouble.of(0.70));
        QuotaEngine e = engine(custom, Preset.PREMIUM, LimitSpec.requests(100, Duration.ofMinutes(1)));
        grantAndSettle(e, 25, Priority.NORMAL);
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.NOMINAL);
        grantAndSettle(e, 10, Priority.NORMAL);
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.ELEVATED);
        grantAndSettle(e, 20, Priority.NORMAL);
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.CRITICAL);
        assertThat(k(e).thermal().throttled()).isFalse();
        grantAndSettle(e, 15, Priority.NORMAL); // 70 %: the configured throttle point, not PREMIUM's 95 %
        assertThat(k(e).thermal().throttled()).isTrue();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.THROTTLED);
        assertThat(zones).containsExactly("OPTIMAL->NOMINAL", "NOMINAL->ELEVATED", "ELEVATED->CRITICAL", "CRITICAL->THROTTLED");
    }

    @Test
    void theRecoveryWindowComesFromTheConfig() {
        QuotaEngine e = engine(new ThermalConfig(Duration.ofSeconds(5), 1.0), Preset.PREMIUM,
                LimitSpec.requests(20, Duration.ofSeconds(10)));
        grantAndSettle(e, 19, Priority.NORMAL);
        clock.advance(Duration.ofMillis(10_250));
        e.tick();
        clock.advance(Duration.ofMillis(4_999));
        e.tick();
        assertThat(k(e).thermal().throttled()).isTrue();
        clock.advance(Duration.ofMillis(1));
        e.tick();
        assertThat(k(e).thermal().throttled()).isFalse();
    }

    @Test
    void temperatureRisesWithLoad_andFallsWhileStillThrottled() {
        QuotaEngine e = engine(ThermalConfig.ofDefaults(), Preset.PREMIUM, LimitSpec.requests(60, Duration.ofMinutes(1)));
        List<Double> temps = new ArrayList<>();
        for (int s = 0; s < 60; s++) { // the sustainable rate: one call a second, all granted
            grantAndSettle(e, 1, Priority.NORMAL);
            e.tick();
            temps.add(k(e).thermal().temperature());
            if (s == 30) {
                assertThat(k(e).thermal().trend()).isEqualTo(Trend.RISING);
            }
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(temps).isSorted();
        double peak = temps.get(59);
        assertThat(peak).isGreaterThan(80);
        assertThat(k(e).thermal().throttled()).isTrue();
        assertThat(k(e).granted()).isEqualTo(60);

        for (int s = 0; s < 30; s++) { // idle: the window slides and utilisation falls

            e.tick();
            clock.advance(Duration.ofSeconds(1));
        }
        ThermalView t = k(e).thermal();
        assertThat(t.temperature()).isLessThan(peak - 10);
        assertThat(t.trend()).isEqualTo(Trend.FALLING);
        assertThat(t.throttled()).isTrue(); // not yet 30 s below the threshold
        assertThat(t.recoveryProgress()).isBetween(0.0, 1.0).isGreaterThan(0.5);
    }

    @Test
    void recoveryEngagesAfter30sBelowTheThreshold_andNotBefore() {
        QuotaEngine e = engine(DIRECT, Preset.PREMIUM, LimitSpec.requests(20, Duration.ofSeconds(10)));
        grantAndSettle(e, 19, Priority.NORMAL);
        assertThat(k(e).thermal().throttled()).isTrue();
        clock.advance(Duration.ofMillis(10_250)); // every call has left the window
        e.tick();
        assertThat(k(e).thermal().recoveryProgress()).isZero();
        clock.advance(Duration.ofSeconds(15));
        e.tick();
        assertThat(k(e).thermal().recoveryProgress()).isCloseTo(0.5, within(1e-9));
        clock.advance(Duration.ofMillis(14_999));
        e.tick();
        assertThat(k(e).thermal().throttled()).isTrue();
        clock.advance(Duration.ofMillis(1));
        e.tick();
        assertThat(k(e).thermal().throttled()).isFalse();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.OPTIMAL);
        assertThat(k(e).thermal().throttleEvents()).isEqualTo(1);
    }

    @Test
    void recoveryRestartsWhenUtilisationReturnsAboveTheThreshold() {
        QuotaEngine e = engine(DIRECT, Preset.PREMIUM, LimitSpec.requests(20, Duration.ofSeconds(10)));
        grantAndSettle(e, 19, Priority.HIGH);
        clock.advance(Duration.ofMillis(10_250));
        e.tick(); // below since now
        clock.advance(Duration.ofSeconds(20));
        grantAndSettle(e, 19, Priority.HIGH); // hot again: the recovery timer restarts
        clock.advance(Duration.ofMillis(10_250));
        e.tick(); // 30.25 s after the first below-threshold sample, but only 0 s since the last
        clock.advance(Duration.ofSeconds(29));
        e.tick();
        assertThat(k(e).thermal().throttled()).isTrue();
        clock.advance(Duration.ofSeconds(1));
        e.tick();
        assertThat(k(e).thermal().throttled()).isFalse();
        assertThat(k(e).thermal().throttleEvents()).isEqualTo(1);
    }

    @Test
    void throttledKeyPacesNormalToItsSustainableRate_butHighBypassesPacing() {
        QuotaEngine e = engine(DIRECT, Preset.PREMIUM, LimitSpec.requests(100, Duration.ofSeconds(10)));
        grantAndSettle(e, 95, Priority.NORMAL);
        Refusal r = denied(e.acquire(req("p", 0)));
        assertThat(r.code()).isEqualTo(RefusalCode.THROTTLED);
        assertThat(r.retryAfter()).isEqualTo(Duration.ofMillis(100)); // 10 s / 100
        granted(e.acquire(req("p", 0, Priority.HIGH)));
        clock.advance(Duration.ofMillis(100));
        granted(e.acquire(req("p", 0)));
        assertThat(denied(e.acquire(req("p", 0))).code()).isEqualTo(RefusalCode.THROTTLED);
    }

    @Test
    void lowPriorityIsShedAtCritical_whileNormalAndHighStillPass() {
        QuotaEngine e = engine(DIRECT, Preset.PREMIUM, LimitSpec.requests(100, Duration.ofMinutes(1)));
        grantAndSettle(e, 85, Priority.NORMAL);
        e.tick();
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.CRITICAL);

        Refusal r = denied(e.acquire(req("p", 0, Priority.LOW)));
        assertThat(r.code()).isEqualTo(RefusalCode.SHED);
        assertThat(r.retryAfter()).isPositive();
        assertThat(r.message()).contains("CRITICAL", "low-priority");
        granted(e.acquire(req("p", 0, Priority.NORMAL)));
        granted(e.acquire(req("p", 0, Priority.HIGH)));
    }

    @Test
    void lowPriorityAvoidsAHotKeyThatStillHasRoom_whileNormalTakesTheRoomiestKey() {
        QuotaEngine e = new QuotaEngine(config(pool("p", Preset.PREMIUM,
                key("hot", LimitSpec.requests(100, Duration.ofMinutes(1))),
                key("cool", LimitSpec.requests(10, Duration.ofMinutes(1)))))
                .thermal(new ThermalConfig(Duration.ofSeconds(30), 0.1)).build(), clock, listener);
        replay(e, "hot", 100);
        for (int i = 0; i < 50; i++) { // the hot key heats up to ~99.5
            e.tick();
            clock.advance(Duration.ofSeconds(1));
        }
        clock.set(T0.plusSeconds(61)); // its calls left the window, but it is still hot
        replay(e, "cool", 5);
        e.tick();
        KeyView hot = e.view().pools().get(0).keys().get(0);
        assertThat(hot.thermal().zone()).isGreaterThanOrEqualTo(Zone.CRITICAL);
        assertThat(hot.limits().get(0).remaining()).isEqualTo(100);

        assertThat(granted(e.acquire(req("p", 0, Priority.LOW))).keyId()).isEqualTo("cool");
        assertThat(granted(e.acquire(req("p", 0, Priority.NORMAL))).keyId()).isEqualTo("hot");
    }

    /** Grants (settled at once) read from this hub's ledger. */
    private void replay(QuotaEngine e, String key, int n) {
        for (int i = 0; i < n; i++) {
            LeaseRecord l = new LeaseRecord("main-" + key + "-" + i + "x", "main", "p", key, 0, Priority.NORMAL, "a", "r",
                    clock.instant(), clock.instant().plusSeconds(60));
            e.replayGrant(l);
            e.settle(ok(l, 0, clock));
        }
    }

    @Test
    void burstProtectionEngagesAfter10RequestsIn10s_conservative60Rpm() {
        QuotaEngine e = engine(ThermalConfig.ofDefaults(), Preset.CONSERVATIVE, LimitSpec.requests(60, Duration.ofMinutes(1)));
        for (int i = 0; i < 10; i++) {
            e.settle(ok(granted(e.acquire(req("p", 0))), 0, clock));
            clock.advance(Duration.ofMillis(900));
        }
        // t = 9 s: ten grants in the last 10 s
        Refusal r = denied(e.acquire(req("p", 0, Priority.HIGH)));
        assertThat(r.code()).isEqualTo(RefusalCode.BURST);
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(r.message()).contains("10 requests per 10 s");
        clock.advance(Duration.ofSeconds(1));
        granted(e.acquire(req("p", 0)));
        assertThat(denied(e.acquire(req("p", 0))).retryAfter()).isEqualTo(Duration.ofMillis(900));
    }

    @Test
    void healthScoreFallsWithErrors() {
        QuotaEngine e = engine(ThermalConfig.ofDefaults(), Preset.PREMIUM, LimitSpec.requests(1000, Duration.ofMinutes(1)));
        List<Integer> scores = new ArrayList<>();
        scores.add(k(e).thermal().healthScore());
        assertThat(k(e).health()).isEqualTo(Health.HEALTHY);
        for (int i = 0; i < 3; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.ERROR, Duration.ZERO, clock));
            scores.add(k(e).thermal().healthScore());
        }
        assertThat(scores.get(0)).isEqualTo(100);
        assertThat(scores).isSortedAccordingTo((a, b) -> b - a).doesNotHaveDuplicates();
        assertThat(scores.get(3)).isLessThan(50);
        assertThat(k(e).health()).isEqualTo(Health.UNHEALTHY);
        assertThat(e.view().pools().get(0).thermal().healthScore()).isEqualTo(scores.get(3));
    }

    @Test
    void errorsHeatTheKey_andTheHeatDecays() {
        QuotaEngine e = engine(ThermalConfig.ofDefaults(), Preset.PREMIUM, LimitSpec.requests(1000, Duration.ofMinutes(1)));
        e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.ERROR, Duration.ZERO, clock));
        double hot = k(e).thermal().temperature();
        assertThat(hot).isGreaterThanOrEqualTo(10);
        clock.advance(Duration.ofSeconds(10));
        assertThat(k(e).thermal().temperature()).isLessThan(hot);
    }

    @Test
    void hubThermalIsTheHottestPool_andPoolThermalFollowsItsKeys() {
        LimitSpec rpm = LimitSpec.requests(100, Duration.ofMinutes(1));
        QuotaEngine e = new QuotaEngine(config(pool("cold", Preset.PREMIUM, key("c", rpm)), pool("warm", Preset.PREMIUM, key("w", rpm)))
                .thermal(DIRECT).build(), clock, listener);
        for (int i = 0; i < 70; i++) {
            e.acquire(req("warm", 0));
        }
        e.tick();
        var view = e.view();
        assertThat(view.pools().get(1).thermal().temperature()).isCloseTo(70, within(1e-9));
        assertThat(view.pools().get(1).thermal().zone()).isEqualTo(Zone.ELEVATED);
        assertThat(view.thermal().temperature()).isCloseTo(70, within(1e-9));
        assertThat(view.pools().get(0).thermal().zone()).isEqualTo(Zone.OPTIMAL);
        assertThat(view.openLeases()).isEqualTo(70);
    }
}
