package io.quotahub.hub.metrics;

import java.util.Locale;

/** Why the hub rejected a request before it could change anything (the {@code reason} tag of the rejection counter). */
public enum RejectReason {
    /** The message (or HTTP body) was above quotahub.max-message-bytes: not parsed. */
    TOO_LARGE,
    /** Not a protobuf message (or JSON body) of the expected type. */
    MALFORMED,
    /** A text field above quotahub.max-field-bytes. */
    FIELD_TOO_LONG,
    /** A settle reporting more tokens than the pool's max-tokens-per-call. */
    TOKENS_ABOVE_BOUND,
    /** Any other bad request: a missing or out-of-range field. */
    INVALID,
    /** A settle without the lease's secret, or with a wrong one. */
    FORBIDDEN,
    /** The hub failed while handling it (a bug): answered INTERNAL, nothing changed. */
    INTERNAL;

    private final String tag = name().toLowerCase(Locale.ROOT);

    public String tag() {
        return tag;
    }
}
