package io.quotahub.engine;

import java.util.Objects;

/**
 * A provider's limit seen in a report for the {@code limitIndex}-th limit of a key, at
 * {@code atMillis}, by hub {@code hubId}. Of several observations of one limit the latest (by time,
 * then hub id) stands, whatever order they are folded in, so both hubs agree. An observed value at
 * or above the configured capacity means "no lower limit" (it clears an earlier one).
 */
public record LimitObservation(String pool, String keyId, int limitIndex, long observed, long atMillis, String hubId) {

    public LimitObservation {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(hubId, "hubId");
    }

    /** Whether this observation is later than {@code other} (null: any is later). */
    public boolean laterThan(LimitObservation other) {
        if (other == null) {
            return true;
        }
        return atMillis != other.atMillis ? atMillis > other.atMillis : hubId.compareTo(other.hubId) > 0;
    }
}
