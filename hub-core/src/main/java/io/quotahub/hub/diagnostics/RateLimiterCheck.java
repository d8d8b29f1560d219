package io.quotahub.hub.diagnostics;

import io.quotahub.engine.KeySpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.BudgetView;
import io.quotahub.hub.config.PoolsConfig;

import java.util.List;
import java.util.Map;

/**
 * Check 4: the limiter answers and its invariants hold, without deciding anything (no grant):
 * every key is limited (its own limits or its pool's), the engine's budget table answers
 * quickly, and for every limit Σ budgets + in flight ≤ capacity (I1), no budget and no in-flight
 * amount is negative. FAIL on a breach. A key that only watched limits protect (its pool in shadow
 * mode, or every limit of it and its pool in shadow or canary mode) is a WARN: shadow grants go
 * over the limit at the provider. Pools and limits in shadow or canary mode are noted.
 */
final class RateLimiterCheck implements DiagnosticCheck {

    private static final long SLOW_NANOS = 50_000_000;

    private final QuotaEngine engine;
    private final PoolsConfig pools;

    RateLimiterCheck(QuotaEngine engine, PoolsConfig pools) {
        this.engine = engine;
        this.pools = pools;
    }

    /** Whether some limit of the key or its pool refuses for every agent (and the pool is not shadowed). */
    private static boolean enforcedForEveryAgent(PoolSpec p, KeySpec k) {
        if (p.enforcement().mode() == io.quotahub.engine.Enforcement.Mode.SHADOW) {
            return false;
        }
        return p.limits().stream().anyMatch(l -> l.enforcement().enforcesAll())
                || k.limits().stream().anyMatch(l -> l.enforcement().enforcesAll());
    }

    @Override
    public String name() {
        return "rate-limiter";
    }

    @Override
    public String title() {
        return "Rate limiter";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        for (PoolSpec p : pools.pools()) {
            for (KeySpec k : p.keys()) {
                if (k.limits().isEmpty() && p.limits().isEmpty()) {
                    f.warn("Key " + k.id() + " of pool " + p.name() + " has no limit (none of its own, none on the pool): the hub grants it without bound and the provider will answer 429",
                            "Give every key (or its pool) the provider's limits (requests and tokens per minute, requests per day)");
                } else if (!enforcedForEveryAgent(p, k)) {
                    f.warn("Key " + k.id() + " of pool " + p.name() + " has no limit enforced for every agent (pool mode "
                                    + p.enforcement().describe() + "): what its shadow grants go over is over the limit at the provider",
                            "Keep the provider's limits in mode enforce and watch the new, stricter policy beside them (a limit with mode: shadow or canary)");
                }
            }
            if (!p.enforcement().enforcesAll()) {
                f.note("Pool " + p.name() + " is in mode " + p.enforcement().describe() + ": the refusals it would make are only recorded"
                        + (p.enforcement().mode() == io.quotahub.engine.Enforcement.Mode.CANARY ? " for the agents it does not enforce for" : ""));
            }
            long watched = p.limits().stream().filter(l -> !l.enforcement().enforcesAll()).count()
                    + p.keys().stream().flatMap(k -> k.limits().stream()).filter(l -> !l.enforcement().enforcesAll()).count();
            if (watched > 0) {
                f.note("Pool " + p.name() + " watches " + watched + " limit" + (watched == 1 ? "" : "s") + " in shadow or canary mode");
            }
        }
        List<BudgetView> table = engine.budgetTable();
        long t0 = System.nanoTime(); // timed after a first read, so class loading is not counted
        engine.budgetTable();
        engine.view();
        long took = System.nanoTime() - t0;
        int breaches = 0;
        for (BudgetView b : table) {
            if (b.committed() > b.capacity()) {
                breaches++;
                f.fail("Invariant I1 broken on " + b.ref() + ": budgets " + b.budgetByHub() + " plus " + b.inFlight()
                                + " in flight add up to " + b.committed() + ", more than the capacity " + b.capacity(),
                        "Stop granting on both hubs (stop the hubs), save both ledger streams for analysis and report a bug; restart only after the ledgers are checked");
            }
            if (b.inFlight() < 0) {
                breaches++;
                f.fail("Limit " + b.ref() + " has a negative in-flight amount (" + b.inFlight() + "): a TransferApplied was folded for more than its Transfer sent",
                        "Save both ledger streams and report a bug; restart both hubs to refold the ledgers");
            }
            for (Map.Entry<String, Long> e : b.budgetByHub().entrySet()) {
                if (e.getValue() < 0) {
                    breaches++;
                    f.fail("Hub " + e.getKey() + " has a negative budget (" + e.getValue() + ") on " + b.ref()
                                    + ": a transfer or takeover moved more units than it held (e.g. a declare-dead that raced with a transfer)",
                            "Check recent transfers and declare-dead commands in both ledgers; rebalancing restores budgets once both hubs are CONNECTED, until then " + e.getKey() + " refuses on that limit");
                }
            }
        }
        if (took > SLOW_NANOS) {
            f.warn("The engine took " + Findings.millis(took) + " to answer its budget table and view, more than 50 ms",
                    "Check CPU load and garbage collection of the hub (see the memory and performance-baseline checks)");
        }
        f.note("The engine answered for " + table.size() + " limit(s) in " + Findings.millis(took) + "; " + breaches + " invariant breach(es)");
        return f.result("No action needed: every limit keeps Σ budgets + in flight ≤ capacity and no budget is negative");
    }
}
