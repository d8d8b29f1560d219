package io.quotahub.hub.fuzz;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a hostile message must not change, read from the engine: per limit the units used (all
 * hubs, and this hub's), per key its circuit, cooldown and disabled state, the open leases (ids,
 * not just their number: a forged reclaim plus a forged grant would keep the count) and the
 * budget table. Leaves out what moves by itself or by mere refusals: thermal state, health,
 * reset times and the granted/refused counters. Equal only while no window slides, so the hub
 * runs with hour-long windows.
 */
record EngineState(Map<String, String> limits, Map<String, String> keys, TreeSet<String> openLeases, List<String> budgets) {

    static EngineState of(QuotaEngine engine) {
        Map<String, String> limits = new TreeMap<>();
        Map<String, String> keys = new TreeMap<>();
        for (PoolView pool : engine.view().pools()) {
            put(limits, pool.name(), pool.limits());
            for (KeyView key : pool.keys()) {
                String at = pool.name() + "/" + key.id();
                put(limits, at, key.limits());
                keys.put(at, key(key.circuit(), key.cooldownUntil(), key.disabled(), key.inFlight()));
            }
        }
        TreeSet<String> open = new TreeSet<>();
        for (LeaseRecord lease : engine.openLeases()) {
            open.add(lease.leaseId() + " " + lease.keyId() + " " + lease.tokens());
        }
        List<String> budgets = engine.budgetTable().stream().map(EngineState::budget).toList();
        return new EngineState(limits, keys, open, budgets);
    }

    private static void put(Map<String, String> limits, String owner, List<LimitView> views) {
        for (int i = 0; i < views.size(); i++) {
            LimitView l = views.get(i);
            limits.put(owner + "#" + i, l.kind() + " " + l.capacity() + "/" + l.per() + ": used " + l.used()
                    + " (this hub " + l.usedByThisHub() + ") of budget " + l.budget());
        }
    }

    private static String key(CircuitState circuit, Instant cooldownUntil, boolean disabled, int inFlight) {
        return "circuit " + circuit + ", cooldown until " + cooldownUntil + ", disabled " + disabled + ", in flight " + inFlight;
    }

    private static String budget(BudgetView b) {
        return b.ref() + ": budgets " + b.budgetByHub() + ", used " + b.usedByHub() + ", in flight " + b.inFlight();
    }
}
