package io.quotahub.hub.config.pools;

import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;

import java.util.List;
import java.util.Objects;

/**
 * One key of a pool as configured under {@code quotahub.pools.<pool>.keys[i]}.
 *
 * @param id            unique within its pool
 * @param secret        where its secret comes from
 * @param limits        the provider's limits of this key
 * @param maxConcurrent leases of this key held at once; 0 means no limit
 */
public record KeySettings(String id, SecretSource secret, List<LimitSpec> limits, int maxConcurrent) {

    public KeySettings {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(secret, "secret");
        limits = List.copyOf(limits);
    }

    /** What the engine knows of this key (no secret). */
    public KeySpec spec() {
        return new KeySpec(id, limits, maxConcurrent);
    }
}
