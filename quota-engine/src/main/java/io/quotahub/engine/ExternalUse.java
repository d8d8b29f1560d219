package io.quotahub.engine;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Use of a key that the provider counted and no hub granted (a script, a colleague, an agent that
 * kept the key), as the provider counts it at {@code atMillis}: a <em>level</em> of the
 * {@code limitIndex}-th limit of the key until the provider's reset {@code untilMillis} (held at most
 * one window longer until a report replaces it), that replaces every
 * booking of that limit before it by (time, hub) (docs/architecture.md, "External use"); no units
 * end the external use. The units are split between the hubs' budgets by the hub that booked it;
 * both hubs fold exactly this split.
 *
 * @param unitsByHub units counted against each hub's budget (sorted by hub id)
 * @param hubId      the hub that booked it (orders bookings of the same time)
 */
public record ExternalUse(String pool, String keyId, int limitIndex, Map<String, Long> unitsByHub, long atMillis,
                          long untilMillis, String hubId) {

    public ExternalUse {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(hubId, "hubId");
        unitsByHub = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(unitsByHub, "unitsByHub")));
    }

    /** A booking of no named hub (tests): orders before any named hub's of the same time. */
    public ExternalUse(String pool, String keyId, int limitIndex, Map<String, Long> unitsByHub, long atMillis,
                       long untilMillis) {
        this(pool, keyId, limitIndex, unitsByHub, atMillis, untilMillis, "");
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
