package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * 429 answer of {@code POST /api/v1/acquire}: which limit refused, and when to retry.
 *
 * @param notice how the request was taken (e.g. HIGH treated as NORMAL); null when nothing
 * @param tried  with fallback pools: every pool tried, in order, with its refusal (the fields above
 *               are the one that frees up first); null when only the pool asked for was tried
 */
@Serdeable
public record RefusalBody(String error, String code, String reason, long retryAfterMs, String pool, String keyId,
                          String limit, @Nullable String notice, @Nullable java.util.List<PoolRefusalBody> tried) {

    public RefusalBody(String error, String code, String reason, long retryAfterMs, String pool, String keyId, String limit,
                       @Nullable String notice) {
        this(error, code, reason, retryAfterMs, pool, keyId, limit, notice, null);
    }
}
