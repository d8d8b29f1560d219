package io.quotahub.engine;

/** How the provider call made under a lease went. */
public enum Outcome {
    OK,
    RATE_LIMITED,
    ERROR,
    AUTH_FAILED,
    /** The agent never settled; the hub settled the lease at its expiry. */
    EXPIRED,
    /**
     * The holder closed the lease without saying how the call went (e.g. it threw): counted as used
     * (its tokens if it reported any, else its estimate), but neither a success nor a failure of
     * the key, so it moves no failure count, circuit, ladder or error heat.
     */
    UNKNOWN
}
