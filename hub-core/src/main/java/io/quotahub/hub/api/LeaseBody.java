package io.quotahub.hub.api;

import io.micronaut.serde.annotation.Serdeable;

/** 200 answer of {@code POST /api/v1/acquire}: the lease and the key to call the provider with. */
@Serdeable
public record LeaseBody(String leaseId, String hubId, String pool, String keyId, String apiKey, long tokens,
                        String expiresAt) {
}
