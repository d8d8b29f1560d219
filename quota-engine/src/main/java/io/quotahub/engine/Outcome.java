package io.quotahub.engine;

/** How the provider call made under a lease went. */
public enum Outcome {
    OK,
    RATE_LIMITED,
    ERROR,
    AUTH_FAILED,
    /** The agent never settled; the hub settled the lease at its expiry. */
    EXPIRED
}
