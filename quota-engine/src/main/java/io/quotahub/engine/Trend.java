package io.quotahub.engine;

public enum Trend {
    RISING,
    STABLE,
    FALLING
}
