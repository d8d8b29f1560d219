package io.quotahub.engine.internal;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.Health;
import io.quotahub.engine.Zone;

/**
 * Health of a key as a score and a class.
 *
 * <p>Score (0–100) = 100 - 0.3 x temperature - 50 x recent error rate - 40 if the circuit is open
 * (20 if half-open) - 15 while cooling down; 0 when disabled. The error rate is an EWMA (weight
 * 0.2) of failure (429/error) vs success over settlements, so a run of errors costs up to 50.
 * A hot but error-free key stays above 70: heat is load, not sickness.
 */
final class HealthScore {

    private HealthScore() {
    }

    static int score(double temperature, double errorRate, CircuitState circuit, boolean coolingDown, boolean disabled) {
        if (disabled) {
            return 0;
        }
        double s = 100 - 0.3 * temperature - 50 * errorRate;
        if (circuit == CircuitState.OPEN) {
            s -= 40;
        } else if (circuit == CircuitState.HALF_OPEN) {
            s -= 20;
        }
        if (coolingDown) {
            s -= 15;
        }
        return (int) Math.round(Math.max(0, Math.min(100, s)));
    }

    /** DEAD if disabled; UNHEALTHY if its circuit is open or it is blocked; DEGRADED if cooling, half-open, hot or throttled. */
    static Health classify(boolean disabled, CircuitState circuit, boolean blocked, boolean coolingDown, Zone zone) {
        if (disabled) {
            return Health.DEAD;
        }
        if (circuit == CircuitState.OPEN || blocked) {
            return Health.UNHEALTHY;
        }
        if (coolingDown || circuit == CircuitState.HALF_OPEN || zone.compareTo(Zone.CRITICAL) >= 0) {
            return Health.DEGRADED;
        }
        return Health.HEALTHY;
    }
}
