package io.quotahub.engine.internal;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.Health;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Zone;
import io.quotahub.engine.ZoneBounds;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SmallPartsTest {

    private static final LimitSpec RPM60 = LimitSpec.requests(60, Duration.ofMinutes(1));

    @Test
    void burstAllowanceFollowsThePreset() {
        assertThat(BurstGuard.maxPerInterval(List.of(RPM60), Preset.CONSERVATIVE.burstFactor())).isEqualTo(10);
        assertThat(BurstGuard.maxPerInterval(List.of(RPM60), Preset.STANDARD.burstFactor())).isEqualTo(20);
        // day-scale limits do not drive it: their even share (0.12 per 10 s) would forbid any burst
        assertThat(BurstGuard.maxPerInterval(List.of(RPM60, LimitSpec.requests(1000, Duration.ofDays(1))), 1.0)).isEqualTo(10);
        assertThat(BurstGuard.maxPerInterval(List.of(LimitSpec.requests(30, Duration.ofSeconds(30)), RPM60), 1.0)).isEqualTo(10);
        assertThat(BurstGuard.maxPerInterval(List.of(RPM60), Preset.PREMIUM.burstFactor())).isZero();
        assertThat(BurstGuard.maxPerInterval(List.of(LimitSpec.requests(5, Duration.ofSeconds(1))), 1.0)).isZero();
    }

    @Test
    void burstGuardCountsTheLastGrantsAndForgetsACancelledOne() {
        BurstGuard g = BurstGuard.forKey(List.of(RPM60), Preset.CONSERVATIVE);
        for (int i = 0; i < 10; i++) {
            g.record(i * 100L);
        }
        assertThat(g.millisUntilAllowed(1_000)).isEqualTo(9_000);
        g.unrecord(900);
        assertThat(g.millisUntilAllowed(1_000)).isZero();
        g.record(1_000);
        assertThat(g.millisUntilAllowed(1_000)).isEqualTo(9_000);
        assertThat(g.millisUntilAllowed(10_000)).isZero();
    }

    @Test
    void leaseIdsParseOnlyThisHubsIds_andMovePastReplayedOnes() {
        LeaseIds ids = new LeaseIds("hub-main", 1000);
        String first = ids.next();
        assertThat(LeaseIds.parse("hub-main-", first)).containsExactly(1000, 0);
        assertThat(LeaseIds.parse("hub-main-", "hub-edge-rs-1")).isNull();
        assertThat(LeaseIds.parse("hub-main-", "hub-main-x-rs-1")).isNull();
        ids.observe("hub-main-" + Long.toString(2000, 36) + "-" + Long.toString(41, 36));
        assertThat(LeaseIds.parse("hub-main-", ids.next())).containsExactly(2000, 42);
        ids.observe("hub-main-" + Long.toString(1500, 36) + "-99"); // older: ignored
        assertThat(LeaseIds.parse("hub-main-", ids.next())).containsExactly(2000, 43);
    }

    @Test
    void cooldownLadderRepeatsItsLastStep_andRetryAfterWins() {
        List<Long> ladder = List.of(1000L, 3000L, 10_000L, 30_000L);
        long hour = 3_600_000;
        assertThat(KeyGuard.cooldownMillis(ladder, 1, 0, hour)).isEqualTo(1000);
        assertThat(KeyGuard.cooldownMillis(ladder, 4, 0, hour)).isEqualTo(30_000);
        assertThat(KeyGuard.cooldownMillis(ladder, 9, 0, hour)).isEqualTo(30_000);
        assertThat(KeyGuard.cooldownMillis(ladder, 2, 7000, hour)).isEqualTo(7000);
        assertThat(KeyGuard.cooldownMillis(ladder, 2, Long.MAX_VALUE, hour)).as("a Retry-After above the max").isEqualTo(hour);
        assertThat(KeyGuard.cooldownMillis(ladder, 4, 0, 20_000)).as("a ladder step above the max").isEqualTo(20_000);
    }

    @Test
    void learnedCooldown_growsOnARelapse_atLeastTheFirstStep_atMostTheMax_andSaturates() {
        long hour = 3_600_000;
        assertThat(KeyGuard.learnedAfterRelapse(2, 3000, 1000, hour)).isEqualTo(6000);
        assertThat(KeyGuard.learnedAfterRelapse(3, 200, 1000, hour)).as("never below the first step").isEqualTo(1000);
        assertThat(KeyGuard.learnedAfterRelapse(2, 2_000_000, 1000, hour)).isEqualTo(hour);
        assertThat(KeyGuard.learnedAfterRelapse(16, Long.MAX_VALUE / 2, 1000, hour)).as("no overflow").isEqualTo(hour);
        assertThat(KeyGuard.learnedAfterRelapse(0, 3000, 1000, hour)).as("learning off").isZero();
        // the learned cooldown is a floor under the ladder's step, and a Retry-After still wins
        List<Long> ladder = List.of(1000L, 3000L, 10_000L, 30_000L);
        assertThat(KeyGuard.cooldownMillis(ladder, 1, 0, 6000, hour)).isEqualTo(6000);
        assertThat(KeyGuard.cooldownMillis(ladder, 3, 0, 6000, hour)).isEqualTo(10_000);
        assertThat(KeyGuard.cooldownMillis(ladder, 1, 2000, 6000, hour)).isEqualTo(2000);
    }

    @Test
    void learnedCooldown_halvesAfterSuccesses_untilNotAboveTheFirstStep() {
        assertThat(KeyGuard.learnedAfterSuccesses(8000, 1000)).isEqualTo(4000);
        assertThat(KeyGuard.learnedAfterSuccesses(4001, 1000)).isEqualTo(2000);
        assertThat(KeyGuard.learnedAfterSuccesses(2000, 1000)).as("half = the first step: forgotten").isZero();
        assertThat(KeyGuard.learnedAfterSuccesses(1500, 1000)).isZero();
    }

    @Test
    void zonesByTemperature() {
        assertThat(ZoneBounds.DEFAULTS.zoneOf(39.9, false, false)).isEqualTo(Zone.OPTIMAL);
        assertThat(ZoneBounds.DEFAULTS.zoneOf(40, false, false)).isEqualTo(Zone.NOMINAL);
        assertThat(ZoneBounds.DEFAULTS.zoneOf(60, false, false)).isEqualTo(Zone.ELEVATED);
        assertThat(ZoneBounds.DEFAULTS.zoneOf(80, false, false)).isEqualTo(Zone.CRITICAL);
        assertThat(ZoneBounds.DEFAULTS.zoneOf(95, false, false)).isEqualTo(Zone.THROTTLED);
        assertThat(ZoneBounds.DEFAULTS.zoneOf(10, false, true)).isEqualTo(Zone.THROTTLED);
        assertThat(ZoneBounds.DEFAULTS.zoneOf(10, true, false)).isEqualTo(Zone.THROTTLED);
    }

    @Test
    void healthScoreFormulaAndClasses() {
        assertThat(HealthScore.score(0, 0, CircuitState.CLOSED, false, false)).isEqualTo(100);
        assertThat(HealthScore.score(100, 0, CircuitState.CLOSED, false, false)).isEqualTo(70);
        assertThat(HealthScore.score(0, 1, CircuitState.OPEN, true, false)).isZero();
        assertThat(HealthScore.score(0, 0, CircuitState.CLOSED, false, true)).isZero();
        assertThat(HealthScore.classify(false, CircuitState.CLOSED, false, false, Zone.NOMINAL)).isEqualTo(Health.HEALTHY);
        assertThat(HealthScore.classify(false, CircuitState.CLOSED, false, true, Zone.THROTTLED)).isEqualTo(Health.DEGRADED);
        assertThat(HealthScore.classify(false, CircuitState.OPEN, true, true, Zone.THROTTLED)).isEqualTo(Health.UNHEALTHY);
        assertThat(HealthScore.classify(true, CircuitState.CLOSED, false, false, Zone.OPTIMAL)).isEqualTo(Health.DEAD);
    }

    @Test
    void selectionPrefersRoomThenCoolnessThenHealth() {
        assertThat(PoolState.better(0.5, 90, 2, 0.4, 10, 0)).isTrue();
        assertThat(PoolState.better(0.5, 10, 2, 0.5, 20, 0)).isTrue();
        assertThat(PoolState.better(0.5, 10, 0, 0.5, 10, 1)).isTrue();
        assertThat(PoolState.better(0.5, 10, 1, 0.5, 10, 1)).isFalse(); // ties keep config order
    }
}
