package io.quotahub.agent.internal;

import io.quotahub.agent.Priority;
import io.quotahub.proto.WireBounds;

import java.time.Duration;

/**
 * The checks of an acquire's arguments, before anything is sent: the hubs' own rules for what they
 * accept (a pool name that is not blank and at most {@link WireBounds#MAX_FIELD_BYTES} bytes, tokens
 * {@code > 0}), so a request they would refuse fails here, at once, with an IllegalArgumentException.
 */
final class AcquireArgs {

    private AcquireArgs() {
    }

    static void validate(String pool, long tokens, Duration maxWait, Priority priority) {
        if (pool == null || pool.isBlank()) {
            throw new IllegalArgumentException("pool must not be null or blank");
        }
        if (Utf8.length(pool) > WireBounds.MAX_FIELD_BYTES) {
            throw new IllegalArgumentException("pool must be at most " + WireBounds.MAX_FIELD_BYTES
                    + " bytes of UTF-8, was " + Utf8.length(pool));
        }
        if (tokens < 1) {
            // the same rule as the hubs': an acquire reserves its estimate, and no call uses no token
            throw new IllegalArgumentException("tokens must be > 0 (the call's estimated tokens), was " + tokens);
        }
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be zero or positive, was " + maxWait);
        }
        if (priority == null) {
            throw new IllegalArgumentException("priority must not be null");
        }
    }

    static io.quotahub.proto.Priority toProto(Priority p) {
        return switch (p) {
            case LOW -> io.quotahub.proto.Priority.LOW;
            case NORMAL -> io.quotahub.proto.Priority.NORMAL;
            case HIGH -> io.quotahub.proto.Priority.HIGH;
        };
    }
}
