package io.quotahub.hub.service;

import io.quotahub.hub.metrics.RejectReason;

/** Stable error codes of the hub's APIs (NATS ErrorReply.code, HTTP "error" field). */
public enum ErrorCode {
    BAD_REQUEST,
    /** The request names a lease (or key) the sender may not act on: a missing or wrong lease secret. */
    FORBIDDEN,
    UNKNOWN_POOL,
    NO_USABLE_KEY,
    DEADLINE_EXCEEDED,
    UNKNOWN_LEASE,
    /** The hub cannot make a grant durable right now (NATS/JetStream down, not ready). */
    UNAVAILABLE,
    /** This hub was fenced by its peer and grants nothing more. */
    FENCED,
    INTERNAL;

    /** The rejection this code stands for when nothing more precise is known; null for codes that are no rejection. */
    RejectReason rejectReason() {
        return switch (this) {
            case BAD_REQUEST -> RejectReason.INVALID;
            case FORBIDDEN -> RejectReason.FORBIDDEN;
            case INTERNAL -> RejectReason.INTERNAL;
            default -> null;
        };
    }
}
