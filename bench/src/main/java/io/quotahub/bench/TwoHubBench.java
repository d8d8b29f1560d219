package io.quotahub.bench;

import io.quotahub.agent.QuotaClient;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 * One class each ({@link TwoHubMeasurement}: {@link ReplicationLag}, {@link FailoverGap},
 * {@link SplitConvergence}, {@link SecondHubLatency}, {@link Rebalance}); this class parses the
 * options ({@link TwoHubOptions}), starts the shared pair, runs the measurements {@code --only}
 * names, prints tables and writes JSON to {@code <out>/two-hub-<date>.json}. Starts and stops its
 * own nats-servers and hubs; stops nothing else.
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

    static final String LARGE = "requests: 1000000000, per: 1m";
    static final String SPLIT_LIMIT = "requests: 1000000000, per: 1h";

    /** In the order they run: the shared pair's, then rebalance on a pair of its own. */
    private static final List<TwoHubMeasurement> MEASUREMENTS = List.of(new SecondHubLatency(), new ReplicationLag(),
            new SplitConvergence(), new FailoverGap("kill", true), new FailoverGap("hang", false), new Rebalance());

    private final TwoHubOptions o;
    /** The options as given on the command line, for the JSON. */
    private final Map<String, String> given;
    private final TwoHubReport out = new TwoHubReport();

    private TwoHubBench(TwoHubOptions o, Map<String, String> given) {
        this.o = o;
        this.given = given;
    }

    public static void main(String[] args) throws Exception {
        TwoHubOptions o = new TwoHubOptions();
        CommandLine cl = new CommandLine(o);
        ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("TwoHubBench: " + e.getMessage());
            cl.usage(System.err);
            System.exit(1);
            return;
        }
        if (cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
            cl.usage(System.out);
            return;
        }
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec spec : parsed.matchedOptions()) {
            List<String> values = spec.originalStringValues();
            given.put(spec.longestName().substring(2), values.isEmpty() ? "" : values.get(values.size() - 1));
        }
        new TwoHubBench(o, given).run();
        System.exit(0); // SDK/jnats non-daemon threads must not keep the JVM alive
    }

    private void run() throws Exception {
        for (Path jar : List.of(o.mainJar(), o.edgeJar())) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("no hub jar at " + jar + ": build with ./mvnw -B -q -DskipTests package");
            }
        }
        String loadBefore = Stats.loadAverage();
        long started = System.nanoTime();
        log("load average %s; hub jars %s, %s", loadBefore, o.mainJar(), o.edgeJar());

        List<TwoHubMeasurement> onPair = MEASUREMENTS.stream().filter(m -> !m.ownCluster() && o.enabled(m.name())).toList();
        if (!onPair.isEmpty()) {
            Map<String, String> pools = new LinkedHashMap<>();
            pools.put("bench", LARGE);
            pools.put("split", SPLIT_LIMIT);
            log("starting the pair (nats-servers main/edge, hub-main, hub-edge), pools %s", pools);
            try (BenchHubs pair = BenchHubs.pair(o.mainJar(), o.edgeJar(), pools)) {
                BenchHubs.await("both peers CONNECTED", Duration.ofSeconds(60), pair::bothConnected, pair);
                log("pair ready: hub-main pid %d, hub-edge pid %d", pair.hub("main").pid(), pair.hub("edge").pid());
                for (TwoHubMeasurement m : onPair) {
                    m.run(pair, o, out);
                }
            }
        }
        for (TwoHubMeasurement m : MEASUREMENTS) {
            if (m.ownCluster() && o.enabled(m.name())) {
                m.run(null, o, out);
            }
        }
        String loadAfter = Stats.loadAverage();
        out.results.put("durationSeconds", (System.nanoTime() - started) / 1_000_000_000L);
        report(loadBefore, loadAfter);
    }

    static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[%s] %s%n", Instant.now(), String.format(Locale.ROOT, format, args));
    }

    static QuotaClient agent(BenchHubs hubs, String site, String id) {
        return QuotaClient.builder().servers(hubs.agentServers(site)).agentId(id).userPasswordFile(hubs.agentCredentials()).build();
    }

    private void report(String loadBefore, String loadAfter) throws IOException {
        System.out.println();
        out.table.forEach(System.out::println);
        System.out.println();
        System.out.printf("load average before %s, after %s (1/5/15 min)%n", loadBefore, loadAfter);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "two-hub");
        json.put("time", Instant.now().toString());
        json.put("machine", Stats.machine(loadBefore, loadAfter));
        json.put("hubJars", List.of(o.mainJar().toString(), o.edgeJar().toString()));
        json.put("options", given);
        json.put("results", out.results);
        Files.createDirectories(o.out);
        Path file = o.out.resolve("two-hub-" + LocalDate.now() + ".json");
        Files.writeString(file, BenchJson.pretty(json), StandardCharsets.UTF_8);
        System.out.println("wrote " + file);
    }
}
