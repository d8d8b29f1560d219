package io.quotahub.hub.api;

import io.micronaut.serde.annotation.Serdeable;

/** 429 answer of {@code POST /api/v1/acquire}: which limit refused, and when to retry. */
@Serdeable
public record RefusalBody(String error, String code, String reason, long retryAfterMs, String pool, String keyId,
                          String limit) {
}
