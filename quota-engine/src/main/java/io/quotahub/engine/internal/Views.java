package io.quotahub.engine.internal;

import io.quotahub.engine.LimitObservation;
import io.quotahub.engine.Trend;
import io.quotahub.engine.Zone;
import io.quotahub.engine.view.EngineView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.engine.view.ThermalView;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Read-only snapshots for the dashboard and the state endpoint. Each pool is read under its lock,
 * so a pool's numbers are consistent with each other; windows are advanced to the view's time.
 */
final class Views {

    private Views() {
    }

    static EngineView engine(String hubId, long now, Collection<PoolState> pools, int openLeases) {
        List<PoolView> views = new ArrayList<>(pools.size());
        for (PoolState p : pools) {
            synchronized (p) {
                views.add(pool(p, now));
            }
        }
        return new EngineView(hubId, Instant.ofEpochMilli(now), List.copyOf(views), hub(views), openLeases);
    }

    /** The hub is as hot as its hottest pool and as healthy as its least healthy one. */
    private static ThermalView hub(List<PoolView> pools) {
        ThermalView hottest = null;
        int minScore = 100;
        for (PoolView p : pools) {
            if (hottest == null || p.thermal().temperature() > hottest.temperature()) {
                hottest = p.thermal();
            }
            minScore = Math.min(minScore, p.thermal().healthScore());
        }
        if (hottest == null) {
            return new ThermalView(Zone.OPTIMAL, 0, Trend.STABLE, 100, false, 0, 0);
        }
        return new ThermalView(hottest.zone(), hottest.temperature(), hottest.trend(), minScore, hottest.throttled(),
                hottest.recoveryProgress(), hottest.throttleEvents());
    }

    private static PoolView pool(PoolState p, long now) {
        p.advance(now);
        List<KeyView> keys = new ArrayList<>(p.keys.length);
        int scoreSum = 0;
        for (KeyState k : p.keys) {
            KeyView kv = key(k, now);
            keys.add(kv);
            scoreSum += kv.thermal().healthScore();
        }
        int score = p.keys.length == 0 ? 100 : Math.round(scoreSum / (float) p.keys.length);
        Thermal t = p.thermal;
        ThermalView thermal = new ThermalView(t.zone(now, false), t.temperature(now), t.trend(), score, t.throttled(),
                t.recoveryProgress(now), t.throttleEvents());
        return new PoolView(p.name(), p.spec.preset().name(), List.copyOf(keys), limits(p.windows, null, now), thermal,
                p.inFlight, p.spec.maxConcurrent());
    }

    private static KeyView key(KeyState k, long now) {
        k.advance(now);
        Thermal t = k.thermal;
        boolean cooling = k.guard.coolingDown(now);
        ThermalView thermal = new ThermalView(t.zone(now, cooling), t.temperature(now), t.trend(), k.healthScore(now),
                t.throttled(), t.recoveryProgress(now), t.throttleEvents());
        return new KeyView(k.id(), limits(k.windows, k.observed, now), thermal, k.guard.circuitAt(now), k.health(now),
                k.open.size(), k.spec.maxConcurrent(), cooling ? Instant.ofEpochMilli(k.guard.cooldownUntil()) : null,
                k.guard.disabled(), k.granted, k.refused, k.rateLimited, k.errors, k.externalBooked,
                Duration.ofMillis(k.guard.nextCooldownMillis()), Duration.ofMillis(k.guard.learnedMillis()));
    }

    private static List<LimitView> limits(SlidingWindow[] windows, LimitObservation[] observed, long now) {
        List<LimitView> out = new ArrayList<>(windows.length);
        for (int i = 0; i < windows.length; i++) {
            SlidingWindow w = windows[i];
            var spec = w.spec;
            LimitObservation o = observed == null ? null : observed[i];
            boolean lower = o != null && o.observed() < spec.capacity();
            out.add(new LimitView(spec.kind(), spec.capacity(), spec.per(),
                    spec.calendarDayZone() == null ? null : spec.calendarDayZone().getId(), w.usedAll(), w.budget(),
                    Math.max(0, w.budget() - w.usedOwn()), w.resetAt(now), w.usedOwn(),
                    lower ? o.observed() : null, lower ? Instant.ofEpochMilli(o.atMillis()) : null, w.capacity()));
        }
        return List.copyOf(out);
    }
}
