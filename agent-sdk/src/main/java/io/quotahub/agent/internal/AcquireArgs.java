package io.quotahub.agent.internal;

import io.quotahub.agent.Priority;

import java.time.Duration;

/** The checks of an acquire's arguments, before anything is sent. */
final class AcquireArgs {

    static final int MAX_POOL_LENGTH = 256;

    private AcquireArgs() {
    }

    static void validate(String pool, long tokens, Duration maxWait, Priority priority) {
        if (pool == null || pool.isBlank()) {
            throw new IllegalArgumentException("pool must not be null or blank");
        }
        if (pool.length() > MAX_POOL_LENGTH) {
            throw new IllegalArgumentException("pool must be at most " + MAX_POOL_LENGTH + " characters");
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
