package io.quotahub.hub.config;

import io.micronaut.context.ApplicationContext;
import io.quotahub.engine.Preset;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.ThermalConfig;
import io.quotahub.engine.ZoneBounds;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code quotahub.thermal.*} in a hub's YAML reaches the engine; a bad value stops the start-up naming its key. */
class ThermalSettingsTest {

    private static ThermalConfig engineThermal(String thermalYaml) {
        try (ApplicationContext context = HubYaml.start("thermal", thermalYaml)) {
            return context.getBean(QuotaEngine.class).config().thermal();
        }
    }

    private static String startUpError(String thermalYaml) {
        return HubYaml.startUpError("thermal", thermalYaml);
    }

    @Test
    void nothingSet_theEngineDefaults() {
        ThermalConfig t = engineThermal("");
        assertThat(t).isEqualTo(ThermalConfig.ofDefaults());
        assertThat(t.throttleAt(Preset.CONSERVATIVE)).as("the preset's").isEqualTo(0.90);
    }

    @Test
    void everyKey_reachesTheEngine() {
        ThermalConfig t = engineThermal("""
                recovery-window: 45s
                smoothing: 0.5
                zone-bounds: [30, 50, 70, 90]
                throttle-at: 85
                """);
        assertThat(t).isEqualTo(new ThermalConfig(Duration.ofSeconds(45), 0.5, new ZoneBounds(30, 50, 70, 90),
                OptionalDouble.of(0.85)));
        assertThat(t.throttleAt(Preset.AGGRESSIVE)).as("one throttle point for every preset").isEqualTo(0.85);
    }

    @Test
    void badValues_areNamed() {
        assertThat(startUpError("recovery-window: 2h")).isEqualTo("quotahub.thermal.recovery-window must be between 0s and 1h, was 2h");
        assertThat(startUpError("recovery-window: later")).startsWith("quotahub.thermal.recovery-window is not a duration: 'later'");
        assertThat(startUpError("smoothing: 0")).isEqualTo("quotahub.thermal.smoothing must be above 0 and at most 1, was 0.0");
        assertThat(startUpError("zone-bounds: [40, 60, 95, 80]")).startsWith("quotahub.thermal.zone-bounds must be four ascending"
                + " temperatures within 1–100");
        assertThat(startUpError("zone-bounds: [40, 60, 80]")).contains("was [40.0, 60.0, 80.0]");
        assertThat(startUpError("throttle-at: 0.95")).isEqualTo("quotahub.thermal.throttle-at must be a percent of the limit"
                + " within 1–100, was 0.95");
    }

    @Test
    void aMisspeltKey_isNamedWithTheNearestOne() {
        assertThat(startUpError("smoothng: 0.3")).isEqualTo("unknown setting quotahub.thermal.smoothng: did you mean quotahub.thermal.smoothing?");
    }
}
