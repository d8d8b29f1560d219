package io.quotahub.hub.diagnostics;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;

import java.util.List;

/**
 * Check 6: utilisation of every limit (pool and key) in its current window, as the provider
 * counts it (all hubs' use / capacity). WARN at 80 %, FAIL at 95 %, as the quota alerts (docs/operations.md, "Alerts").
 */
final class QuotaStatusCheck implements DiagnosticCheck {

    static final double WARN = 0.80;
    static final double FAIL = 0.95;

    private final QuotaEngine engine;

    QuotaStatusCheck(QuotaEngine engine) {
        this.engine = engine;
    }

    @Override
    public String name() {
        return "quota-status";
    }

    @Override
    public String title() {
        return "Quota status";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        double highest = 0;
        String highestWhat = "none";
        int count = 0;
        for (PoolView pool : engine.view().pools()) {
            for (int i = 0; i < pool.limits().size(); i++) {
                LimitView l = pool.limits().get(i);
                count++;
                double u = judge(f, "pool " + pool.name(), l);
                if (u > highest) {
                    highest = u;
                    highestWhat = "pool " + pool.name() + " " + describe(l);
                }
            }
            for (KeyView k : pool.keys()) {
                List<LimitView> limits = k.limits();
                for (LimitView l : limits) {
                    count++;
                    double u = judge(f, "key " + k.id() + " of pool " + pool.name(), l);
                    if (u > highest) {
                        highest = u;
                        highestWhat = "key " + k.id() + " of pool " + pool.name() + " " + describe(l);
                    }
                }
            }
        }
        f.note(count + " limit(s); the busiest is " + highestWhat + " at " + Findings.percent(highest));
        return f.result("No action needed: every limit is below 80 % of its capacity");
    }

    private static double judge(Findings f, String who, LimitView l) {
        // against the limit the hubs enforce: the configured one, or a lower one learned from the provider
        double u = l.enforced() == 0 ? (l.used() > 0 ? 1 : 0) : l.used() / (double) l.enforced();
        String what = "The " + describe(l) + " limit of " + who + " is at " + Findings.percent(u) + " (" + l.used() + " of "
                + l.enforced() + (l.enforced() < l.capacity() ? " learned from the provider" : "") + ", this hub " + l.usedByThisHub() + " of its budget " + l.budget() + ")"
                + (l.resetAt() == null ? "" : ", oldest unit leaves the window at " + l.resetAt());
        if (u >= FAIL) {
            f.fail(what, "Quota is nearly exhausted: add a key to the pool, raise the limit with the provider if you pay for more, or defer LOW-priority work until the window frees up");
        } else if (u >= WARN) {
            f.warn(what, "Quota use is high: plan for more keys or less load before it reaches 95 % and throttling starts");
        }
        return u;
    }

    private static String describe(LimitView l) {
        return l.kind().label() + " " + l.capacity() + "/" + l.per() + (l.calendarDayZone() == null ? "" : " (calendar day " + l.calendarDayZone() + ")");
    }
}
