package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * 429 answer of {@code POST /api/v1/acquire}: which limit refused, and when to retry.
 *
 * @param notice how the request was taken (e.g. HIGH treated as NORMAL); null when nothing
 */
@Serdeable
public record RefusalBody(String error, String code, String reason, long retryAfterMs, String pool, String keyId,
                          String limit, @Nullable String notice) {
}
