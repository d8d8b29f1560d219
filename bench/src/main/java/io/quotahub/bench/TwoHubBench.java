package io.quotahub.bench;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.HubProcess;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the second hub costs and how the pair behaves, measured on one machine with the real
 * processes: two nats-servers (JetStream domains main and edge, leafnode-linked through a cuttable
 * TCP proxy), {@code hub-main.jar} and {@code hub-edge.jar} each configured with the other as its
 * peer, agents using the SDK.
 *
 * <ol>
 *   <li><b>Replication lag</b> main → edge: N grants on hub-main through the SDK (paced); for each,
 *       the time from the grant event's {@code at_epoch_ms} and from the moment the agent got its
 *       lease to the moment the event is stored in edge's copy {@code QH_PEER_main} (the copy's own
 *       stored timestamp, read by an ordered consumer on edge's server), and to its delivery to
 *       that consumer.</li>
 *   <li><b>Failover gap</b>: an agent on main's side acquiring in a loop (5 ms pause); hub-main is
 *       killed ({@code kill -9}) or hung ({@code SIGSTOP}, held for a few seconds); the gap is the
 *       longest time between two successive leases around the fault. Repeated; hub-main restarted
 *       (kill) or resumed (hang) between repetitions.</li>
 *   <li><b>Convergence after a split</b>: the leafnode link is cut, agents on both sides take
 *       leases for a few seconds, the link heals; time from heal until both hubs report the same
 *       {@code used} and their peer CONNECTED.</li>
 *   <li><b>Acquire cost of the second hub</b>: SDK acquire p50/p99 (closed loop, one in flight)
 *       against a single hub (no peer, own nats-server) and against hub-main of the pair, in
 *       interleaved rounds with the raw NATS request-reply and JetStream publish+ack floors of both
 *       nats-servers; and (unless {@code --latency-cut false}) against hub-main of the pair with the
 *       leafnode link cut, so that nothing is replicated (edge's server and hub idle).</li>
 *   <li><b>Rebalance time</b> (a second cluster, small limit 1000/1m per pool): all load on main's
 *       side; time from the start of the load until main's budget reaches 85 % of capacity; the
 *       final split. One repetition per pool.</li>
 * </ol>
 *
 * Prints tables and writes JSON to {@code <out>/two-hub-<date>.json}. Starts and stops its own
 * nats-servers and hubs; stops nothing else.
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.TwoHubBench [--main-jar hub-main/target/hub-main.jar]
 *      [--edge-jar hub-edge/target/hub-edge.jar] [--out bench/results] [--lag-grants 3000] [--lag-rate 300]
 *      [--samples 10000] [--warmup 5000] [--rounds 4] [--kill-reps 3] [--hang-reps 3] [--hang-seconds 6]
 *      [--split-reps 2] [--split-seconds 4] [--rebalance-reps 3]
 *      [--rebalance-pause-ms 10] [--latency-cut true] [--only lag,latency,split,kill,hang,rebalance]
 * </pre>
 */
public final class TwoHubBench {

    private static final String LARGE = "requests: 1000000000, per: 1m";
    private static final String SPLIT_LIMIT = "requests: 1000000000, per: 1h";
    private static final String SMALL = "requests: 1000, per: 1m";
    private static final double REBALANCE_TARGET = 0.85;

    private final Map<String, String> opts;
    private final Path mainJar;
    private final Path edgeJar;
    private final Path outDir;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final List<String> table = new ArrayList<>();

    private TwoHubBench(Map<String, String> opts) {
        this.opts = opts;
        this.mainJar = Path.of(opts.getOrDefault("main-jar", "hub-main/target/hub-main.jar")).toAbsolutePath();
        this.edgeJar = Path.of(opts.getOrDefault("edge-jar", "hub-edge/target/hub-edge.jar")).toAbsolutePath();
        this.outDir = Path.of(opts.getOrDefault("out", "bench/results"));
    }

    private int opt(String name, int dflt) {
        return Integer.parseInt(opts.getOrDefault(name, Integer.toString(dflt)));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("usage: TwoHubBench [--main-jar PATH] [--edge-jar PATH] [--out DIR]"
                        + " [--lag-grants N] [--lag-rate PER_S] [--samples N] [--warmup N] [--rounds N] [--kill-reps N]"
                        + " [--hang-reps N] [--hang-seconds N] [--split-reps N] [--split-seconds N] [--rebalance-reps N] [--rebalance-pause-ms N] [--latency-cut true|false]"
                        + " [--only lag,latency,split,kill,hang,rebalance]; bad argument " + args[i]);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        new TwoHubBench(opts).run();
        System.exit(0); // SDK/jnats non-daemon threads must not keep the JVM alive
    }

    private boolean enabled(String part) {
        String only = opts.get("only");
        return only == null || List.of(only.split(",")).contains(part);
    }

    private void run() throws Exception {
        for (Path jar : List.of(mainJar, edgeJar)) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("no hub jar at " + jar + ": build with ./mvnw -B -q -DskipTests install");
            }
        }
        String loadBefore = Stats.loadAverage();
        long started = System.nanoTime();
        log("load average %s; hub jars %s, %s", loadBefore, mainJar, edgeJar);

        if (enabled("lag") || enabled("latency") || enabled("split") || enabled("kill") || enabled("hang")) {
            Map<String, String> pools = new LinkedHashMap<>();
            pools.put("bench", LARGE);
            pools.put("split", SPLIT_LIMIT);
            log("starting the pair (nats-servers main/edge, hub-main, hub-edge), pools %s", pools);
            try (BenchHubs pair = BenchHubs.pair(mainJar, edgeJar, pools)) {
                BenchHubs.await("both peers CONNECTED", Duration.ofSeconds(60), pair::bothConnected, pair);
                log("pair ready: hub-main pid %d, hub-edge pid %d", pair.hub("main").pid(), pair.hub("edge").pid());
                if (enabled("latency")) {
                    latency(pair);
                }
                if (enabled("lag")) {
                    replicationLag(pair);
                }
                if (enabled("split")) {
                    splitConvergence(pair);
                }
                if (enabled("kill")) {
                    failover(pair, true);
                }
                if (enabled("hang")) {
                    failover(pair, false);
                }
            }
        }
        if (enabled("rebalance")) {
            rebalance();
        }
        String loadAfter = Stats.loadAverage();
        results.put("durationSeconds", (System.nanoTime() - started) / 1_000_000_000L);
        report(loadBefore, loadAfter);
    }

    private static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[%s] %s%n", Instant.now(), String.format(Locale.ROOT, format, args));
    }

    private static QuotaClient agent(BenchHubs hubs, String site, String id) {
        return QuotaClient.builder().servers(hubs.agentServers(site)).agentId(id).userPasswordFile(hubs.agentCredentials()).build();
    }

    // ---- 1. replication lag ----------------------------------------------------------------------

    /** What edge's ordered consumer saw of one grant. */
    private record Seen(long deliveredMicros, long storedMicros, long atEpochMs) {
    }

    private void replicationLag(BenchHubs pair) throws Exception {
        int n = opt("lag-grants", 3000);
        int rate = opt("lag-rate", 300);
        log("replication lag: %d grants on hub-main at %d/s, watched in edge's %s", n, rate, Subjects.peerCopyStream("main"));
        Map<String, Seen> seen = new ConcurrentHashMap<>();
        Map<String, Long> mainStored = new ConcurrentHashMap<>();
        Map<String, Long> leaseMicros = new ConcurrentHashMap<>();
        List<String> hubsServing = new ArrayList<>();
        try (Connection edge = Nats.connect(new Options.Builder().server(pair.serverUrl("edge")).connectionName("bench-lag-watch").build());
             Connection main = Nats.connect(new Options.Builder().server(pair.serverUrl("main")).connectionName("bench-lag-source").build());
             QuotaClient client = agent(pair, "main", "bench-lag-agent")) {
            Dispatcher mainDispatcher = main.createDispatcher();
            main.jetStream().subscribe(Subjects.ledgerSubjects("main"), mainDispatcher, (Message msg) -> {
                long stored = micros(msg.metaData().timestamp());
                for (LedgerEvent e : parse(msg).getEventsList()) {
                    if (e.hasGrant()) {
                        mainStored.put(e.getGrant().getLeaseId(), stored);
                    }
                }
            }, false, PushSubscribeOptions.builder().stream(Subjects.ledgerStream("main")).ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
            main.flush(Duration.ofSeconds(5));
            JetStream js = edge.jetStream();
            Dispatcher dispatcher = edge.createDispatcher();
            js.subscribe(Subjects.ledgerSubjects("main"), dispatcher, (Message msg) -> {
                long delivered = micros(Instant.now());
                long stored = micros(msg.metaData().timestamp());
                for (LedgerEvent e : parse(msg).getEventsList()) {
                    if (e.hasGrant()) {
                        seen.put(e.getGrant().getLeaseId(), new Seen(delivered, stored, e.getAtEpochMs()));
                    }
                }
            }, false, PushSubscribeOptions.builder().stream(Subjects.peerCopyStream("main")).ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
            edge.flush(Duration.ofSeconds(5));
            // warm-up: the SDK's connection and the JIT on both sides
            for (int i = 0; i < 500; i++) {
                client.acquire("bench", 1, Duration.ofSeconds(5)).complete(1);
            }
            BenchHubs.sleep(500);
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long due = start + i * period;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                Lease lease = client.acquire("bench", 1, Duration.ofSeconds(5));
                leaseMicros.put(lease.leaseId(), micros(Instant.now()));
                if (!hubsServing.contains(lease.hubId())) {
                    hubsServing.add(lease.hubId());
                }
                lease.complete(1);
            }
            long elapsed = System.nanoTime() - start;
            BenchHubs.await("edge's copy holds every grant", Duration.ofSeconds(30),
                    () -> leaseMicros.keySet().stream().allMatch(k -> seen.containsKey(k) && mainStored.containsKey(k)), pair);
            Histogram fromMainStored = Stats.histogram();
            Histogram fromEvent = Stats.histogram();
            Histogram fromLeaseToStored = Stats.histogram();
            Histogram fromLeaseToDelivered = Stats.histogram();
            int storedBeforeLease = 0;
            for (Map.Entry<String, Long> e : leaseMicros.entrySet()) {
                Seen s = seen.get(e.getKey());
                Stats.record(fromMainStored, (s.storedMicros - mainStored.get(e.getKey())) * 1000);
                Stats.record(fromEvent, (s.storedMicros - s.atEpochMs * 1000) * 1000);
                long d = s.storedMicros - e.getValue();
                if (d < 0) {
                    storedBeforeLease++;
                }
                Stats.record(fromLeaseToStored, d * 1000);
                Stats.record(fromLeaseToDelivered, (s.deliveredMicros - e.getValue()) * 1000);
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("grants", n);
            r.put("offeredRatePerSecond", rate);
            r.put("achievedRatePerSecond", Math.round(n / (elapsed / 1e9)));
            r.put("servedBy", hubsServing);
            r.put("unit", "milliseconds");
            r.put("storedInMainLedgerToStoredInEdgeCopy", raw(Stats.json(fromMainStored, 1e6)));
            r.put("eventAtToStoredInEdgeCopy", raw(Stats.json(fromEvent, 1e6)));
            r.put("agentLeaseToStoredInEdgeCopy", raw(Stats.json(fromLeaseToStored, 1e6)));
            r.put("agentLeaseToDeliveredFromEdgeCopy", raw(Stats.json(fromLeaseToDelivered, 1e6)));
            r.put("storedInEdgeCopyBeforeAgentHadLease", storedBeforeLease);
            r.put("note", "stored = the stream's own timestamp of the message (main's ledger on main's nats-server, the copy on"
                    + " edge's; one machine, one clock); at_epoch_ms has"
                    + " 1 ms resolution; negative lags (copy stored before the agent's reply arrived) count as 0");
            results.put("replicationLag", r);
            table.add("");
            table.add(String.format(Locale.ROOT, "1. replication lag main -> edge's QH_PEER_main, %d grants at %d/s (ms)", n, rate));
            table.add(String.format(Locale.ROOT, "%-44s %8s %8s %8s %8s %8s", "", "n", "p50", "p90", "p99", "max"));
            table.add(msRow("stored in QH_LEDGER_main -> stored in copy", fromMainStored));
            table.add(msRow("grant event at_epoch_ms -> stored in copy", fromEvent));
            table.add(msRow("agent got lease -> stored in copy", fromLeaseToStored));
            table.add(msRow("agent got lease -> delivered from copy", fromLeaseToDelivered));
            table.add(String.format(Locale.ROOT, "   (copy stored before the agent had its lease: %d of %d; target p99 < 50 ms)",
                    storedBeforeLease, n));
            edge.closeDispatcher(dispatcher);
            main.closeDispatcher(mainDispatcher);
        }
    }

    private static LedgerBatch parse(Message msg) {
        try {
            return LedgerBatch.parseFrom(msg.getData());
        } catch (IOException e) {
            throw new IllegalStateException("not a ledger batch at " + msg.getSubject(), e);
        }
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    private static long micros(ZonedDateTime t) {
        return micros(t.toInstant());
    }

    // ---- 2. failover gap ---------------------------------------------------------------------------

    private void failover(BenchHubs pair, boolean kill) {
        int reps = kill ? opt("kill-reps", 3) : opt("hang-reps", 3);
        int hangSeconds = opt("hang-seconds", 6);
        String what = kill ? "kill -9" : "SIGSTOP";
        log("failover gap after %s of hub-main, %d repetitions", what, reps);
        List<Map<String, Object>> runs = new ArrayList<>();
        try (QuotaClient client = agent(pair, "main", kill ? "bench-kill-agent" : "bench-hang-agent");
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
                log("%s rep %d: longest gap %.1f ms (first lease from edge after %.1f ms, %d gaps > 100 ms in %d ms; edge sees %s)",
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
                        log("hub-main did not rejoin after SIGCONT (%s); restarting it", notBack.getMessage().lines().findFirst().orElse(""));
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
            results.put(kill ? "failoverKill" : "failoverHang", summary);
            table.add("");
            table.add(String.format(Locale.ROOT, "2%s. failover gap after %s of hub-main (ms; target < %d)", kill ? "a" : "b", what,
                    kill ? 1000 : 3000));
            table.add(String.format(Locale.ROOT, "%-5s %12s %18s %12s %14s", "rep", "longest gap", "first from edge", "gaps>100ms",
                    "gap before"));
            for (Map<String, Object> r : runs) {
                table.add(String.format(Locale.ROOT, "%-5s %12.1f %18.1f %12d %14.1f", r.get("rep"), r.get("longestGapMs"),
                        r.get("firstLeaseFromEdgeAfterFaultMs"), r.get("gapsOver100msInWindow"), r.get("longestGapBeforeFaultMs")));
            }
            table.add(String.format(Locale.ROOT, "%-5s %12.1f   (agent errors: %d)", "max", max, agent.failures.size()));
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

    // ---- 3. convergence after a split -------------------------------------------------------------

    private void splitConvergence(BenchHubs pair) {
        int reps = opt("split-reps", 2);
        int seconds = opt("split-seconds", 4);
        log("split: cut the link, load on both sides for %d s, heal; %d repetitions", seconds, reps);
        List<Map<String, Object>> runs = new ArrayList<>();
        try (QuotaClient onMain = agent(pair, "main", "bench-split-main");
             QuotaClient onEdge = agent(pair, "edge", "bench-split-edge")) {
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
                log("split rep %d: detected after %d ms; granted main %d + edge %d; converged %.0f ms after heal (used %d/%d)",
                        rep, detected / 1_000_000, grantedMain, grantedEdge, converged / 1e6, m1.used(), e1.used());
            }
        }
        results.put("splitConvergence", Map.of("pool", "split (" + SPLIT_LIMIT + ")", "pollIntervalMs", "~20 (+ HTTP time)",
                "runs", runs));
        table.add("");
        table.add("3. convergence after a split (link cut, load on both sides, heal)");
        table.add(String.format(Locale.ROOT, "%-5s %10s %12s %12s %18s %14s", "rep", "split s", "granted m", "granted e",
                "converged (ms)", "used m/e"));
        for (Map<String, Object> r : runs) {
            @SuppressWarnings("unchecked")
            Map<String, Long> used = (Map<String, Long>) r.get("usedAfter");
            table.add(String.format(Locale.ROOT, "%-5s %10s %12d %12d %18.0f %14s", r.get("rep"), r.get("loadSeconds"),
                    r.get("grantedOnMainSide"), r.get("grantedOnEdgeSide"), r.get("convergedAfterHealMs"),
                    used.get("main") + "/" + used.get("edge")));
        }
    }

    // ---- 4. acquire cost of the second hub --------------------------------------------------------

    private void latency(BenchHubs pair) throws Exception {
        int samples = opt("samples", 10000);
        int warmup = opt("warmup", 5000);
        int rounds = opt("rounds", 4);
        log("acquire latency: single hub vs pair, %d samples each in %d rounds after %d warm-up", samples, rounds, warmup);
        Histogram rrSingle = Stats.histogram();
        Histogram paSingle = Stats.histogram();
        Histogram rrPair = Stats.histogram();
        Histogram paPair = Stats.histogram();
        Histogram acSingle = Stats.histogram();
        Histogram acPair = Stats.histogram();
        Histogram acCut = Stats.histogram();
        boolean withCut = !"false".equals(opts.get("latency-cut"));
        try (BenchHubs single = BenchHubs.single(mainJar, Map.of("bench", LARGE));
             NatsFloors floorsSingle = new NatsFloors(single.serverUrl("main"));
             NatsFloors floorsPair = new NatsFloors(pair.serverUrl("main"));
             QuotaClient singleClient = agent(single, "main", "bench-latency-single");
             QuotaClient pairClient = agent(pair, "main", "bench-latency-pair")) {
            log("single hub ready (pid %d)", single.hub("main").pid());
            floorsSingle.requestReply(warmup, null);
            floorsSingle.publishAck(warmup, null);
            floorsPair.requestReply(warmup, null);
            floorsPair.publishAck(warmup, null);
            acquireLoop(singleClient, warmup, null, "main");
            acquireLoop(pairClient, warmup, null, "main");
            int perRound = Math.max(1, samples / rounds);
            for (int r = 1; r <= rounds; r++) {
                log("round %d/%d: %d of each", r, rounds, perRound);
                floorsSingle.requestReply(perRound, rrSingle);
                floorsSingle.publishAck(perRound, paSingle);
                acquireLoop(singleClient, perRound, acSingle, "main");
                floorsPair.requestReply(perRound, rrPair);
                floorsPair.publishAck(perRound, paPair);
                acquireLoop(pairClient, perRound, acPair, "main");
                if (withCut) {
                    // the same hub with nothing to replicate to: edge's server and hub idle
                    pair.nats().link().cut();
                    BenchHubs.await("hub-main sees PARTITIONED", Duration.ofSeconds(30),
                            () -> "PARTITIONED".equals(pair.peerStatus("main")), pair);
                    acquireLoop(pairClient, perRound, acCut, "main");
                    pair.nats().link().heal();
                    BenchHubs.await("both peers CONNECTED", Duration.ofSeconds(60), pair::bothConnected, pair);
                    BenchHubs.sleep(1000); // let edge's copy catch up before the next round
                }
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "closed loop, 1 in flight; acquire timed, then lease.complete(1) untimed");
        r.put("samples", samples);
        r.put("warmup", warmup);
        r.put("rounds", rounds);
        r.put("unit", "microseconds");
        r.put("singleNatsRequestReply", raw(Stats.json(rrSingle, 1000)));
        r.put("singleJetStreamPublishAck", raw(Stats.json(paSingle, 1000)));
        r.put("singleHubAcquire", raw(Stats.json(acSingle, 1000)));
        r.put("pairMainNatsRequestReply", raw(Stats.json(rrPair, 1000)));
        r.put("pairMainJetStreamPublishAck", raw(Stats.json(paPair, 1000)));
        r.put("pairHubMainAcquire", raw(Stats.json(acPair, 1000)));
        if (withCut) {
            r.put("pairHubMainAcquireLinkCut", raw(Stats.json(acCut, 1000)));
        }
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (double p : new double[] {50, 99}) {
            String q = "p" + (int) p;
            ratios.put("pairOverSingle" + q.toUpperCase(), round3(Stats.us(acPair, p) / Stats.us(acSingle, p)));
            ratios.put("singleOverFloors" + q.toUpperCase(),
                    round3(Stats.us(acSingle, p) / (Stats.us(rrSingle, p) + Stats.us(paSingle, p))));
            ratios.put("pairOverFloors" + q.toUpperCase(), round3(Stats.us(acPair, p) / (Stats.us(rrPair, p) + Stats.us(paPair, p))));
            ratios.put("pairMinusSingle" + q.toUpperCase() + "Us", round3(Stats.us(acPair, p) - Stats.us(acSingle, p)));
            if (withCut) {
                ratios.put("pairLinkCutOverSingle" + q.toUpperCase(), round3(Stats.us(acCut, p) / Stats.us(acSingle, p)));
            }
        }
        r.put("ratios", ratios);
        results.put("acquireLatency", r);
        table.add("");
        table.add("4. acquire through the SDK, single hub vs the pair (µs, closed loop, one in flight)");
        table.add(String.format(Locale.ROOT, "%-44s %8s %9s %9s %9s %9s %9s", "", "n", "p50", "p90", "p99", "p99.9", "max"));
        table.add(usRow("(a) NATS request-reply, single's server", rrSingle));
        table.add(usRow("(b) JetStream publish+ack, single's server", paSingle));
        table.add(usRow("(a') NATS request-reply, pair's main server", rrPair));
        table.add(usRow("(b') JetStream publish+ack, pair's main", paPair));
        table.add(usRow("(c) acquire, single hub (no peer)", acSingle));
        table.add(usRow("(d) acquire, hub-main of the pair", acPair));
        if (withCut) {
            table.add(usRow("(e) acquire, hub-main of the pair, link cut", acCut));
        }
        table.add(String.format(Locale.ROOT, "   p50: (d)/(c) = %.2f x, (c)/((a)+(b)) = %.2f x, (d)/((a')+(b')) = %.2f x",
                ratios.get("pairOverSingleP50"), ratios.get("singleOverFloorsP50"), ratios.get("pairOverFloorsP50")));
        table.add(String.format(Locale.ROOT, "   p99: (d)/(c) = %.2f x, (c)/((a)+(b)) = %.2f x, (d)/((a')+(b')) = %.2f x",
                ratios.get("pairOverSingleP99"), ratios.get("singleOverFloorsP99"), ratios.get("pairOverFloorsP99")));
        if (withCut) {
            table.add(String.format(Locale.ROOT, "   (e)/(c): p50 %.2f x, p99 %.2f x", ratios.get("pairLinkCutOverSingleP50"),
                    ratios.get("pairLinkCutOverSingleP99")));
        }
    }

    private static void acquireLoop(QuotaClient client, int n, Histogram into, String expectedHub) {
        Duration maxWait = Duration.ofSeconds(5);
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            Lease lease = client.acquire("bench", 1, maxWait);
            long dt = System.nanoTime() - t0;
            if (!expectedHub.equals(lease.hubId())) {
                throw new IllegalStateException("lease from " + lease.hubId() + ", expected " + expectedHub);
            }
            lease.complete(1);
            Stats.record(into, dt);
        }
    }

    // ---- 5. rebalance ------------------------------------------------------------------------------

    private void rebalance() {
        int reps = opt("rebalance-reps", 3);
        Map<String, String> pools = new LinkedHashMap<>();
        for (int i = 1; i <= reps; i++) {
            pools.put(i == 1 ? "bench" : "bench" + i, SMALL);
        }
        log("rebalance: a second pair with pools %s; all load on main's side, one pool per repetition", pools);
        List<Map<String, Object>> runs = new ArrayList<>();
        try (BenchHubs pair = BenchHubs.pair(mainJar, edgeJar, pools);
             QuotaClient client = agent(pair, "main", "bench-rebalance-agent")) {
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
                try (AgentLoop load = new AgentLoop(client, pool, opt("rebalance-pause-ms", 10), true)) {
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
                    r.put("load", "1 agent on main's side, tryAcquire in a loop with a " + opt("rebalance-pause-ms", 10)
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
                    log("rebalance %s: main budget %d -> first increase after %s ms, >= %d after %s ms; final split main %d / edge %d"
                                    + " (used %d), granted %d, refused %d",
                            pool, m0.budget(), firstMove < 0 ? "-" : firstMove / 1_000_000, target,
                            reached < 0 ? "never (30 s)" : reached / 1_000_000, m1.budget(), e1.budget(), m1.used(),
                            load.count(), load.refused.get());
                }
            }
        }
        results.put("rebalance", Map.of("limit", SMALL, "target", "main's budget >= 85 % of capacity",
                "timelineColumns", "ms since load start, main budget, main used", "runs", runs));
        table.add("");
        table.add("5. rebalance, all load on main's side (limit " + SMALL + ")");
        table.add(String.format(Locale.ROOT, "%-8s %14s %14s %14s %18s", "pool", "start m/e", "first move ms", "to 85 % ms",
                "final m/e"));
        for (Map<String, Object> r : runs) {
            @SuppressWarnings("unchecked")
            Map<String, Long> s = (Map<String, Long>) r.get("budgetAtStart");
            @SuppressWarnings("unchecked")
            Map<String, Long> f = (Map<String, Long>) r.get("finalBudget");
            table.add(String.format(Locale.ROOT, "%-8s %14s %14s %14s %18s", r.get("pool"), s.get("main") + "/" + s.get("edge"),
                    r.get("firstIncreaseMs"), r.get("reached85PercentMs"), f.get("main") + "/" + f.get("edge")));
        }
    }

    // ---- report ----------------------------------------------------------------------------------

    private static String msRow(String name, Histogram h) {
        return String.format(Locale.ROOT, "%-44s %8d %8.2f %8.2f %8.2f %8.2f", name, h.getTotalCount(), Stats.ms(h, 50),
                Stats.ms(h, 90), Stats.ms(h, 99), h.getMaxValue() / 1e6);
    }

    private static String usRow(String name, Histogram h) {
        return String.format(Locale.ROOT, "%-44s %8d %9.1f %9.1f %9.1f %9.1f %9.1f", name, h.getTotalCount(), Stats.us(h, 50),
                Stats.us(h, 90), Stats.us(h, 99), Stats.us(h, 99.9), h.getMaxValue() / 1000.0);
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** A JSON fragment to be written as is. */
    private record Raw(String json) {
    }

    private static Raw raw(String json) {
        return new Raw(json);
    }

    private void report(String loadBefore, String loadAfter) throws IOException {
        System.out.println();
        table.forEach(System.out::println);
        System.out.println();
        System.out.printf("load average before %s, after %s (1/5/15 min)%n", loadBefore, loadAfter);
        StringBuilder json = new StringBuilder();
        json.append("{\n  \"benchmark\": \"two-hub\",\n");
        json.append("  \"time\": \"").append(Instant.now()).append("\",\n");
        json.append("  \"machine\": ").append(Stats.machineJson(loadBefore, loadAfter)).append(",\n");
        json.append("  \"hubJars\": ").append(toJson(List.of(mainJar.toString(), edgeJar.toString()))).append(",\n");
        json.append("  \"options\": ").append(toJson(opts)).append(",\n");
        json.append("  \"results\": ").append(toJson(results)).append("\n}\n");
        Files.createDirectories(outDir);
        Path file = outDir.resolve("two-hub-" + LocalDate.now() + ".json");
        Files.writeString(file, json.toString(), StandardCharsets.UTF_8);
        System.out.println("wrote " + file);
    }

    private static String toJson(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof Raw r) {
            return r.json();
        }
        if (o instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, v) -> parts.add("\"" + k + "\": " + toJson(v)));
            return "{" + String.join(", ", parts) + "}";
        }
        if (o instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            l.forEach(v -> parts.add(toJson(v)));
            return "[" + String.join(", ", parts) + "]";
        }
        if (o instanceof Double d) {
            return String.format(Locale.ROOT, "%.3f", d);
        }
        if (o instanceof Number || o instanceof Boolean) {
            return o.toString();
        }
        return "\"" + o.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
