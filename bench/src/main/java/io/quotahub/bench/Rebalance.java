package io.quotahub.bench;

import io.quotahub.agent.QuotaClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * 5. Rebalance time (a second cluster of its own, small limit 1000/1m per pool): all load on
 * main's side; time from the start of the load until main's budget reaches 85 % of capacity; the
 * final split. One repetition per pool.
 */
final class Rebalance implements TwoHubMeasurement {

    private static final String SMALL = "requests: 1000, per: 1m";
    private static final double REBALANCE_TARGET = 0.85;

    @Override
    public String name() {
        return "rebalance";
    }

    @Override
    public boolean ownCluster() {
        return true;
    }

    @Override
    public void run(BenchHubs unused, TwoHubOptions o, TwoHubReport out) {
        int reps = o.rebalanceReps;
        Map<String, String> pools = new LinkedHashMap<>();
        for (int i = 1; i <= reps; i++) {
            pools.put(i == 1 ? "bench" : "bench" + i, SMALL);
        }
        TwoHubBench.log("rebalance: a second pair with pools %s; all load on main's side, one pool per repetition", pools);
        List<Map<String, Object>> runs = new ArrayList<>();
        try (BenchHubs pair = BenchHubs.pair(o.mainJar(), o.edgeJar(), pools);
             QuotaClient client = TwoHubBench.agent(pair, "main", "bench-rebalance-agent")) {
            BenchHubs.await("both peers CONNECTED", Duration.ofSeconds(60), pair::bothConnected, pair);
            BenchHubs.sleep(2000);
            for (String pool : pools.keySet()) {
                BenchHubs.State m0 = pair.state("main", pool);
                BenchHubs.State e0 = pair.state("edge", pool);
                long target = (long) Math.ceil(REBALANCE_TARGET * m0.capacity());
                List<long[]> timeline = new ArrayList<>();
                long reached = -1;
                long firstMove = -1;
                long start;
                long grantedAtTarget = -1;
                try (AgentLoop load = new AgentLoop(client, pool, o.rebalancePauseMs, true)) {
                    start = System.nanoTime();
                    long deadline = start + TimeUnit.SECONDS.toNanos(30);
                    long stopAt = deadline;
                    while (System.nanoTime() < stopAt) {
                        BenchHubs.State m = pair.state("main", pool);
                        long t = System.nanoTime() - start;
                        if (timeline.isEmpty() || timeline.get(timeline.size() - 1)[1] != m.budget()) {
                            timeline.add(new long[] {t / 1_000_000, m.budget(), m.used()});
                        }
                        if (firstMove < 0 && m.budget() > m0.budget()) {
                            firstMove = t;
                        }
                        if (reached < 0 && m.budget() >= target) {
                            reached = t;
                            grantedAtTarget = load.count();
                            stopAt = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(3));
                        }
                        BenchHubs.sleep(25);
                    }
                    load.close();
                    BenchHubs.State m1 = pair.state("main", pool);
                    BenchHubs.State e1 = pair.state("edge", pool);
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("pool", pool);
                    r.put("capacity", m0.capacity());
                    r.put("load", "1 agent on main's side, tryAcquire in a loop with a " + o.rebalancePauseMs
                            + " ms pause; offered " + Math.round((load.count() + load.refused.get()) / ((System.nanoTime() - start) / 1e9))
                            + "/s");
                    r.put("budgetAtStart", Map.of("main", m0.budget(), "edge", e0.budget()));
                    r.put("firstIncreaseMs", firstMove < 0 ? null : firstMove / 1_000_000);
                    r.put("reached85PercentMs", reached < 0 ? null : reached / 1_000_000);
                    r.put("grantedWhenReached", grantedAtTarget);
                    r.put("finalBudget", Map.of("main", m1.budget(), "edge", e1.budget()));
                    r.put("finalUsed", Map.of("main", m1.used(), "edge", e1.used()));
                    r.put("granted", load.count());
                    r.put("refused", load.refused.get());
                    r.put("mainBudgetTimeline", timeline.stream().map(x -> List.of(x[0], x[1], x[2])).toList());
                    runs.add(r);
                    TwoHubBench.log("rebalance %s: main budget %d -> first increase after %s ms, >= %d after %s ms; final split main %d / edge %d"
                                    + " (used %d), granted %d, refused %d",
                            pool, m0.budget(), firstMove < 0 ? "-" : firstMove / 1_000_000, target,
                            reached < 0 ? "never (30 s)" : reached / 1_000_000, m1.budget(), e1.budget(), m1.used(),
                            load.count(), load.refused.get());
                }
            }
        }
        out.results.put("rebalance", Map.of("limit", SMALL, "target", "main's budget >= 85 % of capacity",
                "timelineColumns", "ms since load start, main budget, main used", "runs", runs));
        out.table.add("");
        out.table.add("5. rebalance, all load on main's side (limit " + SMALL + ")");
        out.table.add(String.format(Locale.ROOT, "%-8s %14s %14s %14s %18s", "pool", "start m/e", "first move ms", "to 85 % ms",
                "final m/e"));
        for (Map<String, Object> r : runs) {
            @SuppressWarnings("unchecked")
            Map<String, Long> s = (Map<String, Long>) r.get("budgetAtStart");
            @SuppressWarnings("unchecked")
            Map<String, Long> f = (Map<String, Long>) r.get("finalBudget");
            out.table.add(String.format(Locale.ROOT, "%-8s %14s %14s %14s %18s", r.get("pool"), s.get("main") + "/" + s.get("edge"),
                    r.get("firstIncreaseMs"), r.get("reached85PercentMs"), f.get("main") + "/" + f.get("edge")));
        }
    }
}
