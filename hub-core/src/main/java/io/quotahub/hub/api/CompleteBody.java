package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/**
 * {@code POST /api/v1/leases/{leaseId}/complete} body; outcome defaults to OK.
 *
 * @param callDurationMs how long the provider call took (optional)
 * @param provider       what the provider said about the key in its answer (optional)
 */
@Serdeable
public record CompleteBody(@Nullable Long tokensUsed, @Nullable String outcome, @Nullable Long retryAfterMs,
                           @Nullable String detail, @Nullable Long callDurationMs, @Nullable Provider provider) {

    /** The provider's report: {@code {"quotaId":"..","limits":[{"kind":"REQUESTS","limit":200,"remaining":0,"resetAfterMs":360000}]}}. */
    @Serdeable
    public record Provider(@Nullable String quotaId, @Nullable List<ProviderLimit> limits) {
    }

    /** @param kind REQUESTS, TOKENS, INPUT_TOKENS or OUTPUT_TOKENS */
    @Serdeable
    public record ProviderLimit(@Nullable String kind, @Nullable Long limit, @Nullable Long remaining,
                                @Nullable Long resetAfterMs) {
    }
}
