package io.quotahub.engine;

import java.util.List;
import java.util.Objects;

/**
 * One API key of a pool (its id only: the engine never sees secrets).
 *
 * @param maxConcurrent leases of this key held at once; 0 means no limit
 */
public record KeySpec(String id, List<LimitSpec> limits, int maxConcurrent) {

    public KeySpec {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("key id must not be blank");
        }
        limits = List.copyOf(Objects.requireNonNull(limits, "limits"));
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("maxConcurrent of key " + id + " must be >= 0, was " + maxConcurrent);
        }
    }
}
