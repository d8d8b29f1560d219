package io.quotahub.engine;

/** Result of settling a lease. */
public enum SettleResult {
    /** Settled now. */
    SETTLED,
    /** Was settled (or expired) before: nothing changed. Retries are answered with this. */
    ALREADY_SETTLED,
    /** No such lease. */
    UNKNOWN_LEASE
}
