package io.quotahub.proto;

/**
 * Bounds of the wire contract's text fields, which agents and hubs check alike: a hub refuses
 * (BAD_REQUEST) a request whose agent id, request id, pool, lease id, lease secret or failure
 * detail is longer, and the SDK refuses to send one. Hand-written, like {@link Subjects}.
 */
public final class WireBounds {

    /**
     * The longest text field, in UTF-8 bytes, that a hub accepts by default (hubs may be configured
     * to accept longer ones: {@code quotahub.max-field-bytes}; the SDK keeps to this one).
     */
    public static final int MAX_FIELD_BYTES = 128;

    private WireBounds() {
    }
}
