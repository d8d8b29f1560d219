package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * {@code POST /api/v1/acquire} body. {@code requestId} is optional: give one to make retries safe
 * (a retried id is answered with the original lease, also while the first call still waits).
 * Priority defaults to NORMAL. {@code maxWaitMs} (absent or 0: answer at once) lets the hub wait
 * that long for room before it answers a refusal, at most {@code quotahub.http.max-wait}.
 * {@code fallback} (absent or true: allowed) set to false keeps the acquire to the pool asked for,
 * never one of its fallback pools; it is read as given (a JSON boolean), not coerced, so that a
 * mistyped value is refused rather than guessed.
 */
@Serdeable
public record AcquireBody(@Nullable String pool, @Nullable Long tokens, @Nullable String priority,
                          @Nullable String agentId, @Nullable String requestId, @Nullable Long maxWaitMs,
                          @Nullable @io.swagger.v3.oas.annotations.media.Schema(type = "boolean", description = "false: only this pool, never a fallback") Object fallback) {

    /** A body that leaves fallback to its default. */
    public AcquireBody(@Nullable String pool, @Nullable Long tokens, @Nullable String priority, @Nullable String agentId,
                       @Nullable String requestId, @Nullable Long maxWaitMs) {
        this(pool, tokens, priority, agentId, requestId, maxWaitMs, null);
    }
}
