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
 * 3. Convergence after a split: the leafnode link is cut, agents on both sides take leases for a
 * few seconds, the link heals; time from heal until both hubs report the same {@code used} and
 * their peer CONNECTED.
 */
final class SplitConvergence implements TwoHubMeasurement {

    private static final String SPLIT_LIMIT = TwoHubBench.SPLIT_LIMIT;

    @Override
    public String name() {
        return "split";
    }

    @Override
    public void run(BenchHubs pair, TwoHubOptions o, TwoHubReport out) {
        int reps = o.splitReps;
        int seconds = o.splitSeconds;
        TwoHubBench.log("split: cut the link, load on both sides for %d s, heal; %d repetitions", seconds, reps);
        List<Map<String, Object>> runs = new ArrayList<>();
        try (QuotaClient onMain = TwoHubBench.agent(pair, "main", "bench-split-main");
             QuotaClient onEdge = TwoHubBench.agent(pair, "edge", "bench-split-edge")) {
            for (int rep = 1; rep <= reps; rep++) {
                BenchHubs.await("both peers CONNECTED", Duration.ofSeconds(60), pair::bothConnected, pair);
                long cutAt = System.nanoTime();
                pair.nats().link().cut();
                BenchHubs.await("both see PARTITIONED", Duration.ofSeconds(30),
                        () -> "PARTITIONED".equals(pair.peerStatus("main")) && "PARTITIONED".equals(pair.peerStatus("edge")), pair);
                long detected = System.nanoTime() - cutAt;
                long grantedMain;
                long grantedEdge;
                try (AgentLoop a = new AgentLoop(onMain, "split", 5, false);
                     AgentLoop b = new AgentLoop(onEdge, "split", 5, false)) {
                    BenchHubs.sleep(TimeUnit.SECONDS.toMillis(seconds));
                    a.close();
                    b.close();
                    grantedMain = a.count();
                    grantedEdge = b.count();
                }
                BenchHubs.State m0 = pair.state("main", "split");
                BenchHubs.State e0 = pair.state("edge", "split");
                long healedAt = System.nanoTime();
                pair.nats().link().heal();
                long[] sameUsedAt = {-1};
                BenchHubs.await("same used on both hubs and both CONNECTED", Duration.ofSeconds(60), () -> {
                    BenchHubs.State m = pair.state("main", "split");
                    BenchHubs.State e = pair.state("edge", "split");
                    boolean same = m.used() == e.used();
                    if (same && sameUsedAt[0] < 0) {
                        sameUsedAt[0] = System.nanoTime();
                    } else if (!same) {
                        sameUsedAt[0] = -1;
                    }
                    return same && "CONNECTED".equals(m.peerStatus()) && "CONNECTED".equals(e.peerStatus());
                }, pair);
                long converged = System.nanoTime() - healedAt;
                BenchHubs.State m1 = pair.state("main", "split");
                BenchHubs.State e1 = pair.state("edge", "split");
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("rep", rep);
                r.put("splitDetectedMs", detected / 1_000_000);
                r.put("loadSeconds", seconds);
                r.put("grantedOnMainSide", grantedMain);
                r.put("grantedOnEdgeSide", grantedEdge);
                r.put("usedBeforeHeal", Map.of("main", m0.used(), "edge", e0.used()));
                r.put("convergedAfterHealMs", converged / 1e6);
                r.put("sameUsedAfterHealMs", sameUsedAt[0] < 0 ? null : (sameUsedAt[0] - healedAt) / 1e6);
                r.put("usedAfter", Map.of("main", m1.used(), "edge", e1.used()));
                r.put("budgetAfter", Map.of("main", m1.budget(), "edge", e1.budget()));
                runs.add(r);
                TwoHubBench.log("split rep %d: detected after %d ms; granted main %d + edge %d; converged %.0f ms after heal (used %d/%d)",
                        rep, detected / 1_000_000, grantedMain, grantedEdge, converged / 1e6, m1.used(), e1.used());
            }
        }
        out.results.put("splitConvergence", Map.of("pool", "split (" + SPLIT_LIMIT + ")", "pollIntervalMs", "~20 (+ HTTP time)",
                "runs", runs));
        out.table.add("");
        out.table.add("3. convergence after a split (link cut, load on both sides, heal)");
        out.table.add(String.format(Locale.ROOT, "%-5s %10s %12s %12s %18s %14s", "rep", "split s", "granted m", "granted e",
                "converged (ms)", "used m/e"));
        for (Map<String, Object> r : runs) {
            @SuppressWarnings("unchecked")
            Map<String, Long> used = (Map<String, Long>) r.get("usedAfter");
            out.table.add(String.format(Locale.ROOT, "%-5s %10s %12d %12d %18.0f %14s", r.get("rep"), r.get("loadSeconds"),
                    r.get("grantedOnMainSide"), r.get("grantedOnEdgeSide"), r.get("convergedAfterHealMs"),
                    used.get("main") + "/" + used.get("edge")));
        }
    }
}
