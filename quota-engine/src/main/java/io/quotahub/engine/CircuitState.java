package io.quotahub.engine;

public enum CircuitState {
    CLOSED,
    OPEN,
    HALF_OPEN
}
