package io.quotahub.engine;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThermalConfigTest {

    @Test
    void defaults_zones40_60_80_95_andEachPresetsThrottlePoint() {
        ThermalConfig d = ThermalConfig.ofDefaults();
        assertThat(d.zones()).isEqualTo(new ZoneBounds(40, 60, 80, 95));
        assertThat(d.throttleAt(Preset.CONSERVATIVE)).isEqualTo(0.90);
        assertThat(d.throttleAt(Preset.AGGRESSIVE)).isEqualTo(0.98);
        assertThat(d.hasCustomZonesOrThrottle()).isFalse();
        ThermalConfig fixed = new ThermalConfig(Duration.ZERO, 0.5, ZoneBounds.DEFAULTS, OptionalDouble.of(0.8));
        assertThat(fixed.throttleAt(Preset.CONSERVATIVE)).isEqualTo(0.8);
        assertThat(fixed.hasCustomZonesOrThrottle()).isTrue();
    }

    @Test
    void zonesByTemperature_atEachBound() {
        ZoneBounds z = new ZoneBounds(10, 20, 30, 40);
        assertThat(z.zoneOf(9.99, false, false)).isEqualTo(Zone.OPTIMAL);
        assertThat(z.zoneOf(10, false, false)).isEqualTo(Zone.NOMINAL);
        assertThat(z.zoneOf(20, false, false)).isEqualTo(Zone.ELEVATED);
        assertThat(z.zoneOf(30, false, false)).isEqualTo(Zone.CRITICAL);
        assertThat(z.zoneOf(40, false, false)).isEqualTo(Zone.THROTTLED);
        assertThat(z.lowerBoundOf(35)).isEqualTo(30);
        assertThat(z.lowerBoundOf(5)).isEqualTo(-1);
    }

    @Test
    void boundsThatDoNotAscendWithin0To100_andThrottlePointsOutside0To1_areRefused() {
        assertThatThrownBy(() -> new ZoneBounds(40, 40, 80, 95)).hasMessageContaining("ascend strictly");
        assertThatThrownBy(() -> new ZoneBounds(0, 60, 80, 95)).hasMessageContaining("ascend strictly");
        assertThatThrownBy(() -> new ZoneBounds(40, 60, 80, 101)).hasMessageContaining("ascend strictly");
        assertThatThrownBy(() -> new ThermalConfig(Duration.ZERO, 0.3, ZoneBounds.DEFAULTS, OptionalDouble.of(0)))
                .hasMessageContaining("throttleAt");
        assertThatThrownBy(() -> new ThermalConfig(Duration.ZERO, 0.3, ZoneBounds.DEFAULTS, OptionalDouble.of(1.5)))
                .hasMessageContaining("throttleAt");
        assertThatThrownBy(() -> new ThermalConfig(Duration.ZERO, 0, ZoneBounds.DEFAULTS, OptionalDouble.empty()))
                .hasMessageContaining("smoothing");
    }
}
