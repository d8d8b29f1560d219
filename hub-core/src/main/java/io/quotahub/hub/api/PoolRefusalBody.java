package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.quotahub.engine.Refusal;

import java.util.List;

/**
 * One pool's refusal inside an answer of {@code POST /api/v1/acquire}: a pool tried before a
 * fallback pool granted (or refused), or what a pool in shadow mode would have refused.
 */
@Serdeable
public record PoolRefusalBody(String pool, String code, String reason, long retryAfterMs, @Nullable String keyId,
                              @Nullable String limit) {

    static PoolRefusalBody of(Refusal r) {
        return new PoolRefusalBody(r.pool(), r.code().name(), r.message(), Math.max(1, r.retryAfter().toMillis()), r.keyId(),
                r.limit());
    }

    /** The bodies of {@code refusals}; null when there are none (the field is then left out). */
    static List<PoolRefusalBody> listOrNull(List<Refusal> refusals) {
        return refusals.isEmpty() ? null : refusals.stream().map(PoolRefusalBody::of).toList();
    }
}
