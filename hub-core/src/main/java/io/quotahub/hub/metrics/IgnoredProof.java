package io.quotahub.hub.metrics;

import java.util.Locale;

/** Why a lease named in a heartbeat was not taken as held by its sender (the {@code reason} tag of its counter). */
public enum IgnoredProof {
    /** No open lease has that id (never granted, settled, expired, or an absurd id). */
    UNKNOWN_LEASE,
    /** The lease is open but another agent holds it. */
    OTHER_AGENT,
    /** The secret is missing or wrong. */
    WRONG_SECRET,
    /** The lease was granted before lease secrets existed: nothing to prove it with. */
    NO_DIGEST,
    /** An id in the deprecated Heartbeat.lease_ids field, which carries no secret. */
    DEPRECATED_LEASE_ID;

    private final String tag = name().toLowerCase(Locale.ROOT);

    public String tag() {
        return tag;
    }
}
