package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * 200 answer of {@code POST /api/v1/acquire}: the lease and the key to call the provider with.
 *
 * @param leaseId the lease handle {@code <lease id>.<lease secret>}: pass it as given to
 *                {@code /leases/{leaseId}/complete} (only its holder can settle the lease)
 * @param notice  how the request was taken (e.g. HIGH treated as NORMAL); null when nothing
 */
@Serdeable
public record LeaseBody(String leaseId, String hubId, String pool, String keyId, String apiKey, long tokens,
                        String expiresAt, @Nullable String notice) {
}
