package io.quotahub.engine;

import java.time.Duration;
import java.util.OptionalDouble;

/**
 * Thermal model settings (docs/architecture.md, "Thermal state").
 *
 * @param recoveryWindow time below the throttle threshold before a throttled key recovers
 * @param smoothing      weight (0–1] of a new utilisation sample in the temperature (EWMA)
 * @param zones          where each zone begins
 * @param throttleAt     utilisation (0–1] at which every key and pool throttles; empty: each pool's
 *                       {@link Preset#throttleAt()}
 */
public record ThermalConfig(Duration recoveryWindow, double smoothing, ZoneBounds zones, OptionalDouble throttleAt) {

    public static final Duration DEFAULT_RECOVERY_WINDOW = Duration.ofSeconds(30);
    public static final double DEFAULT_SMOOTHING = 0.3;

    /** With the default zones, throttling where each pool's preset says. */
    public ThermalConfig(Duration recoveryWindow, double smoothing) {
        this(recoveryWindow, smoothing, ZoneBounds.DEFAULTS, OptionalDouble.empty());
    }

    public ThermalConfig {
        if (recoveryWindow == null || recoveryWindow.isNegative()) {
            throw new IllegalArgumentException("recoveryWindow must be >= 0, was " + recoveryWindow);
        }
        if (!(smoothing > 0 && smoothing <= 1)) {
            throw new IllegalArgumentException("smoothing must be in (0, 1], was " + smoothing);
        }
        if (zones == null || throttleAt == null) {
            throw new IllegalArgumentException("zones and throttleAt must be given (OptionalDouble.empty(): the presets')");
        }
        if (throttleAt.isPresent() && !(throttleAt.getAsDouble() > 0 && throttleAt.getAsDouble() <= 1)) {
            throw new IllegalArgumentException("throttleAt must be in (0, 1], was " + throttleAt.getAsDouble());
        }
    }

    public static ThermalConfig ofDefaults() {
        return new ThermalConfig(DEFAULT_RECOVERY_WINDOW, DEFAULT_SMOOTHING);
    }

    /** The utilisation at which a pool of this preset throttles. */
    public double throttleAt(Preset preset) {
        return throttleAt.orElse(preset.throttleAt());
    }

    /** Whether anything beyond the recovery window and smoothing differs from the defaults. */
    public boolean hasCustomZonesOrThrottle() {
        return !zones.equals(ZoneBounds.DEFAULTS) || throttleAt.isPresent();
    }
}
