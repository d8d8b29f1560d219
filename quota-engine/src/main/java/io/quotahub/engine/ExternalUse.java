package io.quotahub.engine;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Use of a key that the provider counted and no hub granted (a script, a colleague, an agent that
 * kept the key), booked into the {@code limitIndex}-th limit of the key from {@code atMillis} until
 * {@code untilMillis} (docs/architecture.md, "External use"). The units are split between the hubs'
 * budgets by the hub that booked it; both hubs fold exactly this split.
 *
 * @param unitsByHub units counted against each hub's budget (sorted by hub id)
 */
public record ExternalUse(String pool, String keyId, int limitIndex, Map<String, Long> unitsByHub, long atMillis,
                          long untilMillis) {

    public ExternalUse {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(keyId, "keyId");
        unitsByHub = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(unitsByHub, "unitsByHub")));
    }

    /** All units booked. */
    public long units() {
        long sum = 0;
        for (long u : unitsByHub.values()) {
            sum += Math.max(0, u);
        }
        return sum;
    }
}
