package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * 200 answer of {@code POST /api/v1/acquire}: the lease and the key to call the provider with.
 *
 * @param leaseId the lease handle {@code <lease id>.<lease secret>}: pass it as given to
 *                {@code /leases/{leaseId}/complete} (only its holder can settle the lease)
 * @param pool           the pool the lease came from (a fallback pool when the pool asked for had no room)
 * @param notice         how the request was taken (e.g. HIGH treated as NORMAL); null when nothing
 * @param requestedPool  the pool asked for, when a fallback pool granted the lease; else null
 * @param passedOver     the refusals of the pools tried before the lease's pool; null when none
 * @param shadowRefusal  what a pool or limit in shadow or canary mode would have answered; null when nothing
 */
@Serdeable
public record LeaseBody(String leaseId, String hubId, String pool, String keyId, String apiKey, long tokens,
                        String expiresAt, @Nullable String notice, @Nullable String requestedPool,
                        @Nullable java.util.List<PoolRefusalBody> passedOver, @Nullable PoolRefusalBody shadowRefusal) {
}
