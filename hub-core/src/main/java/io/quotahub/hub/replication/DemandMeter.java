package io.quotahub.hub.replication;

import io.quotahub.engine.view.EngineView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.PoolView;

import java.util.HashMap;
import java.util.Map;

/**
 * This hub's demand per pool — leases granted plus refused per second, smoothed — from the
 * engine's counters. Refusals count because a side that is refused needs budget most.
 */
final class DemandMeter {

    private static final double SMOOTHING = 0.5;

    private final Map<String, long[]> lastCounts = new HashMap<>();
    private final Map<String, Double> rates = new HashMap<>();
    private long lastMillis = -1;

    /** Takes a sample; returns requests per second per pool. */
    synchronized Map<String, Double> sample(EngineView view, long nowMillis) {
        double seconds = lastMillis < 0 ? 0 : Math.max(0.001, (nowMillis - lastMillis) / 1000.0);
        for (PoolView pool : view.pools()) {
            long granted = 0;
            long refused = 0;
            for (KeyView k : pool.keys()) {
                granted += k.granted();
                refused += k.refused();
            }
            long[] last = lastCounts.put(pool.name(), new long[] {granted, refused});
            if (last != null && seconds > 0) {
                double rate = Math.max(0, (granted - last[0]) + (refused - last[1])) / seconds;
                rates.merge(pool.name(), rate, (old, now) -> old * (1 - SMOOTHING) + now * SMOOTHING);
            }
        }
        lastMillis = nowMillis;
        return Map.copyOf(rates);
    }
}
