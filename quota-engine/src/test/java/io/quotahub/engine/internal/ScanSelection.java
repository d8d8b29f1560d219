package io.quotahub.engine.internal;

import io.quotahub.engine.Priority;

/**
 * The plain key selection, the reference {@link KeySelection#ORDERED} must agree with: every key
 * refreshed and checked on every decision, in config order (was the engine's test-only scan mode).
 */
final class ScanSelection implements KeySelection {

    @Override
    public void refresh(PoolState pool, long now, Events events) {
        for (KeyState k : pool.keys) {
            k.refresh(now, events, pool.name());
        }
    }

    @Override
    public PoolState.Choice choose(PoolState pool, long tokens, Priority priority, String agent, long now, long leaseTtlMillis, long probeWaitMillis) {
        KeyState best = null;
        double bestRoom = -1;
        double bestTemp = 0;
        Admission.Block soonest = null;
        for (KeyState k : pool.keys) {
            if (tokens > k.maxTokens) {
                continue;
            }
            Admission.Block b = Admission.checkKey(pool, k, tokens, priority, agent, now, leaseTtlMillis, probeWaitMillis);
            if (b != null) {
                if (soonest == null || b.retryMillis() < soonest.retryMillis()) {
                    soonest = b;
                }
                continue;
            }
            double room = k.room();
            double temp = k.thermal.temperature(now);
            boolean tie = best != null && room == bestRoom && temp == bestTemp;
            if (best == null || PoolState.better(room, temp, tie ? k.health(now).ordinal() : 0, bestRoom, bestTemp,
                    tie ? best.health(now).ordinal() : 0)) {
                best = k;
                bestRoom = room;
                bestTemp = temp;
            }
        }
        return new PoolState.Choice(best, best != null ? null : soonest);
    }
}
