package io.quotahub.engine.internal;

import io.quotahub.engine.Priority;

/**
 * How a decision brings a pool's keys up to date and picks one. The engine's is {@link #ORDERED}:
 * only due or touched keys are refreshed and keys are examined in {@link KeyOrder} order, stopping
 * early. Tests plug in the plain algorithm (refresh and check every key) to check it against.
 */
interface KeySelection {

    /** Brings every key whose refresh would change anything to {@code now}; the pool is advanced already. */
    void refresh(PoolState pool, long now, Events events);

    /** The key to grant on, or the refusal; see {@link PoolState#choose}. */
    PoolState.Choice choose(PoolState pool, long tokens, Priority priority, String agent, long now,
                            long leaseTtlMillis, long probeWaitMillis);

    /** As {@link #choose}, skipping the checks {@code lenience} shadows (a decision in shadow or canary mode). */
    default PoolState.Choice choose(PoolState pool, long tokens, Priority priority, String agent, long now,
                                    long leaseTtlMillis, long probeWaitMillis, Admission.Lenience lenience) {
        return pool.choose(tokens, priority, agent, now, leaseTtlMillis, probeWaitMillis, lenience);
    }

    KeySelection ORDERED = new KeySelection() {
        @Override
        public void refresh(PoolState pool, long now, Events events) {
            pool.order.upkeep(now, events, pool.name());
        }

        @Override
        public PoolState.Choice choose(PoolState pool, long tokens, Priority priority, String agent, long now,
                                       long leaseTtlMillis, long probeWaitMillis) {
            return pool.choose(tokens, priority, agent, now, leaseTtlMillis, probeWaitMillis);
        }
    };
}
