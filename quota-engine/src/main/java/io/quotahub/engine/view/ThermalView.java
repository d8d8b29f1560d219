package io.quotahub.engine.view;

import io.quotahub.engine.Trend;
import io.quotahub.engine.Zone;

/**
 * @param recoveryProgress 0–1 while throttled: share of the recovery window spent below the threshold
 */
public record ThermalView(Zone zone, double temperature, Trend trend, int healthScore, boolean throttled,
                          double recoveryProgress, long throttleEvents) {
}
