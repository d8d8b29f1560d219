package io.quotahub.engine;

/** Thermal zones by temperature (0–100): see docs/architecture.md, "Thermal state". */
public enum Zone {
    OPTIMAL,
    NOMINAL,
    ELEVATED,
    CRITICAL,
    THROTTLED
}
