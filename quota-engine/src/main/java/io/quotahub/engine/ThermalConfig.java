package io.quotahub.engine;

import java.time.Duration;

/**
 * Thermal model settings (docs/architecture.md, "Thermal state").
 *
 * @param recoveryWindow time below the throttle threshold before a throttled key recovers
 * @param smoothing      weight (0–1] of a new utilisation sample in the temperature (EWMA)
 */
public record ThermalConfig(Duration recoveryWindow, double smoothing) {

    public ThermalConfig {
        if (recoveryWindow.isNegative()) {
            throw new IllegalArgumentException("recoveryWindow must be >= 0, was " + recoveryWindow);
        }
        if (smoothing <= 0 || smoothing > 1) {
            throw new IllegalArgumentException("smoothing must be in (0, 1], was " + smoothing);
        }
    }

    public static ThermalConfig ofDefaults() {
        return new ThermalConfig(Duration.ofSeconds(30), 0.3);
    }
}
