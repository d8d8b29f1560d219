package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * {@code POST /api/v1/acquire} body. {@code requestId} is optional: give one to make retries safe
 * (a retried id is answered with the original lease, also while the first call still waits).
 * Priority defaults to NORMAL. {@code maxWaitMs} (absent or 0: answer at once) lets the hub wait
 * that long for room before it answers a refusal, at most {@code quotahub.http.max-wait}.
 */
@Serdeable
public record AcquireBody(@Nullable String pool, @Nullable Long tokens, @Nullable String priority,
                          @Nullable String agentId, @Nullable String requestId, @Nullable Long maxWaitMs) {
}
