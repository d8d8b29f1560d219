package io.quotahub.agent;

/**
 * No hub answered in time: every route (the hubs' queue group and each known hub's direct
 * subject) timed out, had no responders, or answered that it cannot serve right now, until the
 * caller's deadline passed. Also thrown by {@link QuotaClient.Builder#build()} when no NATS server
 * of the list can be reached.
 */
public final class HubUnavailableException extends QuotaHubException {

    private static final long serialVersionUID = 1L;

    /** The {@link #code()} of every {@code HubUnavailableException}. */
    public static final String CODE = "HUB_UNAVAILABLE";

    /**
     * Creates the exception.
     *
     * @param message what was tried, never containing a secret
     */
    public HubUnavailableException(String message) {
        super(CODE, message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what was tried, never containing a secret
     * @param cause   the underlying failure, may be null
     */
    public HubUnavailableException(String message, Throwable cause) {
        super(CODE, message, cause);
    }
}
