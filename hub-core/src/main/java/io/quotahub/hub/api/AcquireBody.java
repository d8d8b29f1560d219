package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * {@code POST /api/v1/acquire} body. {@code requestId} is optional: give one to make retries safe
 * (a retried id is answered with the original lease). Priority defaults to NORMAL.
 */
@Serdeable
public record AcquireBody(@Nullable String pool, @Nullable Long tokens, @Nullable String priority,
                          @Nullable String agentId, @Nullable String requestId) {
}
