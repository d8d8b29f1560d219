package io.quotahub.bench;

import io.quotahub.agent.QuotaClient;
import io.quotahub.testkit.HubProcess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * 2. Failover gap: an agent on main's side acquiring in a loop (5 ms pause); hub-main is killed
 * ({@code kill -9}) or hung ({@code SIGSTOP}, held for a few seconds); the gap is the longest time
 * between two successive leases around the fault. Repeated; hub-main restarted (kill) or resumed
 * (hang) between repetitions.
 *
 * @param kill {@code kill -9} (measurement {@code kill}) or {@code SIGSTOP} ({@code hang})
 */
record FailoverGap(String name, boolean kill) implements TwoHubMeasurement {

    @Override
    public void run(BenchHubs pair, TwoHubOptions o, TwoHubReport out) {
        int reps = kill ? o.killReps : o.hangReps;
        int hangSeconds = o.hangSeconds;
        String what = kill ? "kill -9" : "SIGSTOP";
        TwoHubBench.log("failover gap after %s of hub-main, %d repetitions", what, reps);
        List<Map<String, Object>> runs = new ArrayList<>();
        try (QuotaClient client = TwoHubBench.agent(pair, "main", kill ? "bench-kill-agent" : "bench-hang-agent");
             AgentLoop agent = new AgentLoop(client, "bench", 5, false)) {
            for (int rep = 1; rep <= reps; rep++) {
                long waitFrom = System.nanoTime();
                BenchHubs.await("leases from hub-main", Duration.ofSeconds(60), () -> agent.servedBy("main", waitFrom), pair);
                BenchHubs.sleep(1000);
                long before = agent.longestGapNanos(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(900), System.nanoTime());
                HubProcess main = pair.hub("main");
                long faultAt = System.nanoTime();
                if (kill) {
                    main.kill();
                } else {
                    main.pause();
                }
                BenchHubs.await("leases from hub-edge", Duration.ofSeconds(20), () -> agent.servedBy("edge", faultAt), pair);
                long firstEdge = agent.firstFrom("edge", faultAt) - faultAt;
                String edgeSees;
                if (kill) {
                    BenchHubs.sleep(1500);
                    edgeSees = pair.peerStatus("edge");
                } else {
                    long holdUntil = faultAt + TimeUnit.SECONDS.toNanos(hangSeconds);
                    BenchHubs.sleep(TimeUnit.NANOSECONDS.toMillis(holdUntil - System.nanoTime()));
                    edgeSees = pair.peerStatus("edge");
                }
                long end = System.nanoTime();
                long gap = agent.longestGapNanos(faultAt - TimeUnit.MILLISECONDS.toNanos(500), end);
                int longGaps = countGaps(agent, faultAt - TimeUnit.MILLISECONDS.toNanos(500), end, TimeUnit.MILLISECONDS.toNanos(100));
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("rep", rep);
                r.put("longestGapMs", gap / 1e6);
                r.put("firstLeaseFromEdgeAfterFaultMs", firstEdge / 1e6);
                r.put("gapsOver100msInWindow", longGaps);
                r.put("windowMs", (end - faultAt) / 1_000_000);
                r.put("longestGapBeforeFaultMs", before / 1e6);
                r.put("edgeSeesPeer", edgeSees);
                runs.add(r);
                TwoHubBench.log("%s rep %d: longest gap %.1f ms (first lease from edge after %.1f ms, %d gaps > 100 ms in %d ms; edge sees %s)",
                        what, rep, gap / 1e6, firstEdge / 1e6, longGaps, (end - faultAt) / 1_000_000, edgeSees);
                if (kill) {
                    pair.startHub("main");
                } else {
                    main.resume();
                    try {
                        BenchHubs.await("hub-main back after SIGCONT", Duration.ofSeconds(30),
                                () -> main.get("/health/readiness").statusCode() == 200 && pair.bothConnected(), pair);
                        long resumedAt = System.nanoTime();
                        BenchHubs.await("leases from hub-main after SIGCONT", Duration.ofSeconds(30),
                                () -> agent.servedBy("main", resumedAt), pair);
                        r.put("rejoinedAfterResume", true);
                    } catch (IllegalStateException notBack) {
                        TwoHubBench.log("hub-main did not rejoin after SIGCONT (%s); restarting it", notBack.getMessage().lines().findFirst().orElse(""));
                        r.put("rejoinedAfterResume", false);
                        main.kill();
                        pair.startHub("main");
                    }
                }
                BenchHubs.await("both peers CONNECTED", Duration.ofSeconds(60), pair::bothConnected, pair);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            double max = runs.stream().mapToDouble(m -> (Double) m.get("longestGapMs")).max().orElse(0);
            summary.put("fault", what + " of hub-main (the hub serving the agent)");
            summary.put("agent", "SDK on main's side (servers: main's NATS, then edge's), acquire in a loop, 5 ms pause, default"
                    + " request timeout " + QuotaClient.Builder.DEFAULT_REQUEST_TIMEOUT.toMillis() + " ms");
            summary.put("targetMs", kill ? 1000 : 3000);
            summary.put("maxLongestGapMs", max);
            summary.put("runs", runs);
            summary.put("agentFailures", agent.failures.size());
            out.results.put(kill ? "failoverKill" : "failoverHang", summary);
            out.table.add("");
            out.table.add(String.format(Locale.ROOT, "2%s. failover gap after %s of hub-main (ms; target < %d)", kill ? "a" : "b", what,
                    kill ? 1000 : 3000));
            out.table.add(String.format(Locale.ROOT, "%-5s %12s %18s %12s %14s", "rep", "longest gap", "first from edge", "gaps>100ms",
                    "gap before"));
            for (Map<String, Object> r : runs) {
                out.table.add(String.format(Locale.ROOT, "%-5s %12.1f %18.1f %12d %14.1f", r.get("rep"), r.get("longestGapMs"),
                        r.get("firstLeaseFromEdgeAfterFaultMs"), r.get("gapsOver100msInWindow"), r.get("longestGapBeforeFaultMs")));
            }
            out.table.add(String.format(Locale.ROOT, "%-5s %12.1f   (agent errors: %d)", "max", max, agent.failures.size()));
        }
    }

    private static int countGaps(AgentLoop agent, long from, long to, long over) {
        int n = 0;
        long previous = Long.MIN_VALUE;
        for (AgentLoop.Got g : agent.leases) {
            if (g.nanos() > to) {
                break;
            }
            if (g.nanos() >= from && previous != Long.MIN_VALUE && g.nanos() - previous > over) {
                n++;
            }
            previous = g.nanos();
        }
        return n;
    }
}
