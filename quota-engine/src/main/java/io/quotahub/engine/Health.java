package io.quotahub.engine;

public enum Health {
    HEALTHY,
    DEGRADED,
    UNHEALTHY,
    DEAD
}
