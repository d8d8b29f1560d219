package io.quotahub.hub.diagnostics;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Zone;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.engine.view.ThermalView;

import java.util.Locale;

/**
 * Check 5: thermal state of every key, pool and the hub. WARN for CRITICAL (80–95 by default), FAIL for
 * THROTTLED (≥ 95 by default, the throttle on, or a provider cooldown).
 */
final class ThermalCheck implements DiagnosticCheck {

    private final QuotaEngine engine;

    ThermalCheck(QuotaEngine engine) {
        this.engine = engine;
    }

    @Override
    public String name() {
        return "thermal-health";
    }

    @Override
    public String title() {
        return "Thermal health";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        var view = engine.view();
        int keys = 0;
        for (PoolView pool : view.pools()) {
            for (KeyView k : pool.keys()) {
                keys++;
                judge(f, "Key " + k.id() + " of pool " + pool.name(), k.thermal());
            }
            judge(f, "Pool " + pool.name(), pool.thermal());
        }
        ThermalView hub = view.thermal();
        f.note("Hub temperature " + degrees(hub.temperature()) + " (" + hub.zone() + ", " + hub.trend() + ", health score "
                + hub.healthScore() + ") over " + keys + " key(s)");
        return f.result("No action needed: every key is below the CRITICAL zone");
    }

    private static void judge(Findings f, String who, ThermalView t) {
        if (t.zone() == Zone.THROTTLED) {
            f.fail(who + " is THROTTLED at " + degrees(t.temperature()) + (t.throttled() ? " (throttle on, recovery "
                            + Math.round(100 * t.recoveryProgress()) + " % done)" : " (provider cooldown, or hot enough for THROTTLED)") + ", trend " + t.trend(),
                    "Add keys to the pool or move LOW-priority work off it; the key recovers after its recovery window below its threshold");
        } else if (t.zone() == Zone.CRITICAL) {
            f.warn(who + " is CRITICAL at " + degrees(t.temperature()) + ", trend " + t.trend() + ": low-priority work is being shed",
                    "Spread load over more keys or lower demand before the key reaches its throttle threshold");
        }
    }

    private static String degrees(double t) {
        return String.format(Locale.ROOT, "%.1f °", t);
    }
}
