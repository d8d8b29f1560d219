package io.quotahub.hub.replication;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the acquires this hub decided, per pool: its own demand (grants, and refusals more budget
 * could cure; {@code AcquireService} says which). The engine's counters cannot serve here — they
 * also count the peer's grants folded from its ledger, which would make both hubs see the same
 * demand and never rebalance.
 */
public final class DemandCounter {

    private final Map<String, LongAdder> decided = new ConcurrentHashMap<>();

    /** One acquire of {@code pool} decided by this hub. Cheap: on the acquire path. */
    public void record(String pool) {
        decided.computeIfAbsent(pool, p -> new LongAdder()).increment();
    }

    /** Acquires decided so far, per pool. */
    public Map<String, Long> totals() {
        Map<String, Long> totals = new java.util.HashMap<>();
        decided.forEach((pool, n) -> totals.put(pool, n.sum()));
        return totals;
    }
}
