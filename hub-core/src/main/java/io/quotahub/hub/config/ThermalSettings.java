package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.quotahub.engine.ThermalConfig;
import io.quotahub.engine.ZoneBounds;
import io.quotahub.hub.config.pools.DurationText;

import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The keys' and pools' thermal model, under {@code quotahub.thermal} (docs/architecture.md,
 * "Thermal state"); anything unset keeps the engine's default. Both hubs must be given the same
 * values: they compute temperatures and zones from the same folded state.
 *
 * @param recoveryWindow how long utilisation must stay below the throttle point before a throttled
 *                       key recovers (default 30s; 0s to 1h)
 * @param smoothing      weight of a new utilisation sample in the temperature, above 0 and at most 1 (default 0.3)
 * @param zoneBounds     temperatures at which NOMINAL, ELEVATED, CRITICAL and THROTTLED begin,
 *                       ascending within 1–100 (default [40, 60, 80, 95])
 * @param throttleAt     percent of a limit at which every key and pool throttles, 1–100 (default: each
 *                       pool's preset: conservative 90, standard 95, aggressive 98, premium 95)
 */
@ConfigurationProperties("quotahub.thermal")
public record ThermalSettings(@Nullable String recoveryWindow, @Nullable Double smoothing,
                             @Nullable List<Double> zoneBounds, @Nullable Double throttleAt) {

    static final String PREFIX = "quotahub.thermal.";
    static final Duration LONGEST_RECOVERY = Duration.ofHours(1);

    public ThermalSettings {
        toEngine(recoveryWindow, smoothing, zoneBounds, throttleAt); // every bad value stops the start-up here
        if (zoneBounds != null) {
            zoneBounds = List.copyOf(zoneBounds);
        }
    }

    /** Nothing set: the engine's defaults. */
    public static ThermalSettings defaults() {
        return new ThermalSettings(null, null, null, null);
    }

    /** The engine's thermal config: these settings over its defaults. */
    public ThermalConfig toEngine() {
        return toEngine(recoveryWindow, smoothing, zoneBounds, throttleAt);
    }

    private static ThermalConfig toEngine(String recoveryWindow, Double smoothing, List<Double> zoneBounds, Double throttleAt) {
        Duration recovery = ThermalConfig.DEFAULT_RECOVERY_WINDOW;
        if (recoveryWindow != null) {
            recovery = DurationText.parse(PREFIX + "recovery-window", recoveryWindow);
            if (recovery.isNegative() || recovery.compareTo(LONGEST_RECOVERY) > 0) {
                throw new ConfigException(PREFIX + "recovery-window must be between 0s and 1h, was " + recoveryWindow);
            }
        }
        if (smoothing != null && !(smoothing > 0 && smoothing <= 1)) {
            throw new ConfigException(PREFIX + "smoothing must be above 0 and at most 1, was " + smoothing);
        }
        ZoneBounds zones = ZoneBounds.DEFAULTS;
        if (zoneBounds != null) {
            if (zoneBounds.size() != 4 || zoneBounds.stream().anyMatch(b -> b == null || !(b >= 1 && b <= 100))
                    || !(zoneBounds.get(0) < zoneBounds.get(1) && zoneBounds.get(1) < zoneBounds.get(2)
                    && zoneBounds.get(2) < zoneBounds.get(3))) {
                throw new ConfigException(PREFIX + "zone-bounds must be four ascending temperatures within 1–100 where"
                        + " NOMINAL, ELEVATED, CRITICAL and THROTTLED begin (e.g. [40, 60, 80, 95]), was " + zoneBounds);
            }
            zones = new ZoneBounds(zoneBounds.get(0), zoneBounds.get(1), zoneBounds.get(2), zoneBounds.get(3));
        }
        if (throttleAt != null && !(throttleAt >= 1 && throttleAt <= 100)) {
            throw new ConfigException(PREFIX + "throttle-at must be a percent of the limit within 1–100, was " + throttleAt);
        }
        return new ThermalConfig(recovery, smoothing != null ? smoothing : ThermalConfig.DEFAULT_SMOOTHING, zones,
                throttleAt == null ? OptionalDouble.empty() : OptionalDouble.of(throttleAt / 100));
    }
}
