package io.quotahub.engine;

import java.util.List;
import java.util.Objects;

/**
 * A pool of keys agents ask for by name. Pool limits apply to the pool's keys together;
 * the preset supplies burst protection and thermal thresholds.
 *
 * @param maxConcurrent leases of the whole pool held at once; 0 means no limit
 */
public record PoolSpec(String name, List<KeySpec> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset) {

    public PoolSpec {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("pool name must not be blank");
        }
        keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
        limits = List.copyOf(Objects.requireNonNull(limits, "limits"));
        Objects.requireNonNull(preset, "preset");
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("maxConcurrent of pool " + name + " must be >= 0, was " + maxConcurrent);
        }
        long distinct = keys.stream().map(KeySpec::id).distinct().count();
        if (distinct != keys.size()) {
            throw new IllegalArgumentException("pool " + name + " lists a key id twice");
        }
    }
}
