package io.quotahub.agent;

import java.util.Objects;

/**
 * Base of every error the QuotaHub SDK reports: unchecked, with a stable {@link #code()} that
 * programs may switch on (the message is for humans and may change). Messages never contain an
 * API key.
 *
 * <p>Codes used by the SDK: the hub's error codes ({@code BAD_REQUEST}, {@code FORBIDDEN} (a settle
 * whose lease secret the hub did not accept), {@code UNKNOWN_POOL}, {@code UNKNOWN_LEASE},
 * {@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED}, {@code INTERNAL}), the
 * refusal codes of {@link QuotaExhaustedException}, {@link HubUnavailableException#CODE} and
 * {@code INTERRUPTED}.
 */
public class QuotaHubException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Code of the exception thrown when a blocking call of the SDK was interrupted. */
    public static final String INTERRUPTED = "INTERRUPTED";

    /** The stable code. */
    private final String code;

    /**
     * Creates an exception with a stable code.
     *
     * @param code    stable machine-readable code, e.g. {@code UNKNOWN_POOL}
     * @param message human-readable message, never containing a secret
     * @throws NullPointerException if {@code code} is null
     */
    public QuotaHubException(String code, String message) {
        this(code, message, null);
    }

    /**
     * Creates an exception with a stable code and a cause.
     *
     * @param code    stable machine-readable code, e.g. {@code UNKNOWN_POOL}
     * @param message human-readable message, never containing a secret
     * @param cause   the underlying failure, may be null
     * @throws NullPointerException if {@code code} is null
     */
    public QuotaHubException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /**
     * The stable code of this error.
     *
     * @return the code, never null
     */
    public String code() {
        return code;
    }
}
