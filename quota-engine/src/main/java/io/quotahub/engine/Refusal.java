package io.quotahub.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * Why a lease was refused and when to retry. Names the limit of the key or pool that refused
 * (for a pool with several keys: the one that frees up first).
 *
 * @param keyId null when the pool itself refused
 * @param limit the limit's {@link LimitSpec#describe()}, or null when no window is involved
 */
public record Refusal(RefusalCode code, String pool, String keyId, String limit, Duration retryAfter, String message) {

    public Refusal {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(message, "message");
    }
}
