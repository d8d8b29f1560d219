package io.quotahub.engine;

/** Thermal zones by temperature (0–100): see SPEC.md item 4. */
public enum Zone {
    OPTIMAL,
    NOMINAL,
    ELEVATED,
    CRITICAL,
    THROTTLED
}
