package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/** {@code POST /api/v1/leases/{leaseId}/complete} body; outcome defaults to OK. */
@Serdeable
public record CompleteBody(@Nullable Long tokensUsed, @Nullable String outcome, @Nullable Long retryAfterMs,
                           @Nullable String detail) {
}
