package io.quotahub.agent.internal;

/**
 * Hook through which the client reports what it does, for agent metrics ({@link PushgatewayMetrics}
 * pushes them to a Pushgateway). Every method defaults to a no-op and must not block or throw: it is
 * called on the client's logical thread (whichever thread runs its tasks at the time). Arguments never include a secret.
 */
public interface ClientMetrics {

    /** Reports nothing. */
    ClientMetrics NOOP = new ClientMetrics() {
    };

    /** How an attempt on one route ended without a usable reply. */
    enum RouteFailure {
        /** No reply within the per-attempt timeout (hung hub, lost link). */
        TIMEOUT,
        /** The server knew no subscriber of the subject. */
        NO_RESPONDERS,
        /** The request could not be sent (connection closed…). */
        CONNECTION,
        /** The reply could not be parsed. */
        BAD_REPLY
    }

    /**
     * A lease was granted.
     *
     * @param pool         the pool
     * @param hubId        the granting hub
     * @param latencyNanos time from the call to the grant, waits included
     * @param sends        requests sent for it (1 when the first route answered at once)
     */
    default void granted(String pool, String hubId, long latencyNanos, int sends) {
    }

    /**
     * A hub refused a request (the acquire may still wait and retry).
     *
     * @param pool the pool
     * @param code the refusal code
     */
    default void refused(String pool, String code) {
    }

    /**
     * An acquire waits before asking again: after a refusal (its retry-after, spread by the
     * client's {@link Jitter}) or after a hub error that another attempt may not get.
     *
     * @param pool      the pool
     * @param cause     the refusal or error code that made it wait
     * @param waitNanos the wait, jitter included and cut to the caller's time left
     */
    default void retryScheduled(String pool, String cause, long waitNanos) {
    }

    /**
     * An acquire ended without a lease.
     *
     * @param pool the pool
     * @param code code of the exception thrown
     */
    default void acquireFailed(String pool, String code) {
    }

    /**
     * A request to one route failed and the next route is tried (failover).
     *
     * @param subject the subject that failed
     * @param failure how
     */
    default void routeFailed(String subject, RouteFailure failure) {
    }

    /**
     * A settle ended.
     *
     * @param pool    the lease's pool
     * @param outcome the outcome reported
     * @param ok      whether a hub confirmed it
     */
    default void settled(String pool, String outcome, boolean ok) {
    }

    /**
     * A heartbeat was published.
     *
     * @param openLeases number of leases listed
     */
    default void heartbeat(int openLeases) {
    }

    /** The client closed, after settling its open leases: flush (e.g. push once more) and stop. */
    default void close() {
    }
}
