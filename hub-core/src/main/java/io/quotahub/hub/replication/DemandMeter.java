package io.quotahub.hub.replication;

import java.util.HashMap;
import java.util.Map;

/**
 * This hub's demand per pool — acquires it decided (granted, or refused for want of budget) per second, smoothed.
 * Refusals count because a side that is refused needs budget most.
 */
final class DemandMeter {

    private static final double SMOOTHING = 0.5;

    private final DemandCounter counter;
    private final Map<String, Long> lastTotals = new HashMap<>();
    private final Map<String, Double> rates = new HashMap<>();
    private long lastMillis = -1;

    DemandMeter(DemandCounter counter) {
        this.counter = counter;
    }

    /** Takes a sample; returns requests per second per pool. */
    synchronized Map<String, Double> sample(long nowMillis) {
        double seconds = lastMillis < 0 ? 0 : Math.max(0.001, (nowMillis - lastMillis) / 1000.0);
        Map<String, Long> totals = counter.totals();
        for (Map.Entry<String, Long> e : totals.entrySet()) {
            Long last = lastTotals.put(e.getKey(), e.getValue());
            if (seconds > 0) {
                double rate = Math.max(0, e.getValue() - (last == null ? 0 : last)) / seconds;
                rates.merge(e.getKey(), rate, (old, now) -> old * (1 - SMOOTHING) + now * SMOOTHING);
            }
        }
        for (String pool : rates.keySet()) {
            if (!totals.containsKey(pool)) {
                rates.put(pool, rates.get(pool) * (1 - SMOOTHING));
            }
        }
        lastMillis = nowMillis;
        return Map.copyOf(rates);
    }
}
