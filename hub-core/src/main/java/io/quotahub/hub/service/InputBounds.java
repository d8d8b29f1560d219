package io.quotahub.hub.service;

import io.quotahub.proto.WireBounds;

/**
 * How much a client may send: each text field (agent id, request id, pool, key id, lease id,
 * lease secret, failure detail) at most {@code maxFieldBytes} bytes of UTF-8, each NATS message
 * (and HTTP body) at most {@code maxMessageBytes} before it is parsed. Whatever a client sends
 * ends up in maps, ledger events and error messages; bounding it here keeps all of those bounded.
 */
public record InputBounds(int maxFieldBytes, int maxMessageBytes) {

    /** The bound the SDK keeps to as well ({@link WireBounds#MAX_FIELD_BYTES}). */
    public static final int DEFAULT_MAX_FIELD_BYTES = WireBounds.MAX_FIELD_BYTES;
    /** See {@code HubSettings#maxMessageBytes}: room for a heartbeat of ≈ 4 000 lease proofs. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

    public InputBounds {
        if (maxFieldBytes < 1 || maxMessageBytes < 1) {
            throw new IllegalArgumentException("bounds must be >= 1, were " + maxFieldBytes + " and " + maxMessageBytes);
        }
    }

    public static InputBounds ofDefaults() {
        return new InputBounds(DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_MESSAGE_BYTES);
    }

    /** Null when {@code value} (null counts as empty) fits, else a message naming the field and the bound, never the value. */
    public String fieldProblem(String field, String value) {
        if (value == null || value.length() * 3L <= maxFieldBytes) {
            return null; // a char is at most 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 chars)
        }
        long bytes = utf8Length(value);
        return bytes <= maxFieldBytes ? null
                : field + " is " + bytes + " bytes long, above the bound of " + maxFieldBytes + " bytes (quotahub.max-field-bytes)";
    }

    /** Null when a message of {@code bytes} bytes may be parsed, else why not. */
    public String messageProblem(String what, int bytes) {
        return bytes <= maxMessageBytes ? null
                : what + " of " + bytes + " bytes is above the bound of " + maxMessageBytes + " bytes (quotahub.max-message-bytes)";
    }

    /** Bytes of {@code s} in UTF-8, counted without encoding it (an unpaired surrogate counts 3: an upper bound). */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
