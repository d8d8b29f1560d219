package io.quotahub.bench;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.testkit.NatsServer;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end acquire latency against its floors, all measured in the same run on the same
 * nats-server: (a) a raw core-NATS request-reply to a trivial responder, (b) a raw JetStream
 * publish+ack to a scratch file-storage stream, (c) {@code QuotaClient.acquire} through the SDK to
 * a real hub (a separate JVM running {@code hub-main.jar} with the production JVM flags, via {@link HubLaunch}) that decides, appends the grant to its
 * JetStream ledger and replies. Closed loop, one request in flight; latencies in an HdrHistogram.
 * Only the acquire is timed in (c); the lease is then settled ({@code complete(1)}), untimed, and
 * the settle's own round trip is reported separately.
 *
 * <p>The three are measured in interleaved rounds (a, b, c, a, b, c...) so a slow moment of the
 * machine hits all of them. Prints a table and writes JSON to {@code <out>/acquire-latency-<date>.json}.
 * Starts and stops its own nats-server and hub; stops nothing else.
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.AcquireLatencyBench [--samples 20000] [--warmup 10000]
 *      [--rounds 4] [--hub-jar hub-main/target/hub-main.jar] [--out bench/results]
 * </pre>
 */
public final class AcquireLatencyBench {

    private static final long MAX_NANOS = Stats.MAX_NANOS;
    private static final int PAYLOAD_BYTES = NatsFloors.PAYLOAD_BYTES;

    private final int samples;
    private final int warmup;
    private final int rounds;
    private final Path hubJar;
    private final Path outDir;

    private final Histogram requestReply = histogram();
    private final Histogram publishAck = histogram();
    private final Histogram acquire = histogram();
    private final Histogram settle = histogram();
    private String loadBefore = "";
    private String loadAfter = "";

    private AcquireLatencyBench(int samples, int warmup, int rounds, Path hubJar, Path outDir) {
        this.samples = samples;
        this.warmup = warmup;
        this.rounds = rounds;
        this.hubJar = hubJar;
        this.outDir = outDir;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchCli.parse("AcquireLatencyBench", args, "samples=20000", "warmup=10000", "rounds=4",
                "hub-jar=hub-main/target/hub-main.jar", "out=bench/results");
        AcquireLatencyBench run = new AcquireLatencyBench(
                Integer.parseInt(opts.getOrDefault("samples", "20000")),
                Integer.parseInt(opts.getOrDefault("warmup", "10000")),
                Integer.parseInt(opts.getOrDefault("rounds", "4")),
                Path.of(opts.getOrDefault("hub-jar", "hub-main/target/hub-main.jar")),
                Path.of(opts.getOrDefault("out", "bench/results")));
        run.run();
    }

    private static Histogram histogram() {
        return Stats.histogram();
    }

    private void run() throws Exception {
        if (!Files.isRegularFile(hubJar)) {
            throw new IllegalStateException("no hub jar at " + hubJar.toAbsolutePath()
                    + ": build it with ./mvnw -B -q -DskipTests package (or pass --hub-jar)");
        }
        loadBefore = Stats.loadAverage();
        Path work = Files.createTempDirectory("qh-bench-");
        try (NatsServer nats = NatsServer.start();
             HubLaunch hub = startHub(nats, work)) {
            System.out.printf("nats-server %s (pid %d); hub %s (pid %d, %s) ready in %.2f s, log %s%n", nats.url(), nats.pid(),
                    hubJar, hub.pid(), String.join(" ", HubLaunch.PROD_JVM), hub.startSeconds(), hub.log);
            try (NatsFloors floors = new NatsFloors(nats.url());
                 QuotaClient client = QuotaClient.builder().servers(nats.url()).agentId("bench-agent")
                         .userPasswordFile(nats.credentials(NatsServer.AGENT)).build()) {
                System.out.printf("warm-up: %d of each%n", warmup);
                floors.requestReply(warmup, null);
                floors.publishAck(warmup, null);
                acquireLoop(client, warmup, false);
                int perRound = Math.max(1, samples / rounds);
                for (int r = 1; r <= rounds; r++) {
                    System.out.printf("round %d/%d: %d of each%n", r, rounds, perRound);
                    floors.requestReply(perRound, requestReply);
                    floors.publishAck(perRound, publishAck);
                    acquireLoop(client, perRound, true);
                }
            }
        } finally {
            deleteQuietly(work);
        }
        loadAfter = Stats.loadAverage();
        report();
    }

    private void acquireLoop(QuotaClient client, int n, boolean record) {
        Duration maxWait = Duration.ofSeconds(5);
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            Lease lease = client.acquire("bench", 1, maxWait);
            long t1 = System.nanoTime();
            lease.complete(1);
            long t2 = System.nanoTime();
            if (record) {
                acquire.recordValue(Math.min(t1 - t0, MAX_NANOS));
                settle.recordValue(Math.min(t2 - t1, MAX_NANOS));
            }
        }
    }

    // ---- the hub ------------------------------------------------------------------------------

    /** The real hub-main with the production JVM flags ({@link HubLaunch}) and NATS user, pool {@code bench}. */
    private HubLaunch startHub(NatsServer nats, Path work) throws Exception {
        return HubLaunch.oneKeyPool(hubJar, HubLaunch.PROD_JVM, nats, work, "");
    }

    private static void deleteQuietly(Path root) {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }

    // ---- report -------------------------------------------------------------------------------

    private static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    private void report() throws IOException {
        double rr50 = us(requestReply, 50);
        double rr99 = us(requestReply, 99);
        double pa50 = us(publishAck, 50);
        double pa99 = us(publishAck, 99);
        System.out.println();
        System.out.printf(Locale.ROOT, "%-38s %8s %9s %9s %9s %9s %9s%n",
                "closed loop, one in flight (µs)", "n", "p50", "p90", "p99", "p99.9", "max");
        row("(a) NATS request-reply (raw)", requestReply);
        row("(b) JetStream publish+ack (raw, file)", publishAck);
        row("(c) SDK acquire via hub (durable)", acquire);
        row("    SDK settle, lease.complete(1)", settle);
        double ac50 = us(acquire, 50);
        double ac99 = us(acquire, 99);
        System.out.println();
        System.out.printf("load average before %s, after %s (1/5/15 min)%n", loadBefore, loadAfter);
        System.out.printf(Locale.ROOT, "acquire p50 = %.2f x (a)   = %.2f x ((a)+(b))%n", ac50 / rr50, ac50 / (rr50 + pa50));
        System.out.printf(Locale.ROOT, "acquire p99 = %.2f x (a)   = %.2f x ((a)+(b))%n", ac99 / rr99, ac99 / (rr99 + pa99));

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "acquire-latency");
        json.put("time", Instant.now().toString());
        json.put("machine", Stats.machine(loadBefore, loadAfter));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", "closed loop, 1 in flight");
        settings.put("samples", samples);
        settings.put("warmup", warmup);
        settings.put("rounds", rounds);
        settings.put("payloadBytes", PAYLOAD_BYTES);
        settings.put("pool", "1 key, requests 1e9/1m, preset PREMIUM");
        json.put("settings", settings);
        json.put("unit", "microseconds");
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("natsRequestReply", Stats.summary(requestReply, 1000.0));
        results.put("jetStreamPublishAck", Stats.summary(publishAck, 1000.0));
        results.put("sdkAcquire", Stats.summary(acquire, 1000.0));
        results.put("sdkSettle", Stats.summary(settle, 1000.0));
        json.put("results", results);
        Map<String, Object> ratios = new LinkedHashMap<>();
        ratios.put("acquireP50OverRequestReplyP50", ac50 / rr50);
        ratios.put("acquireP50OverRequestReplyPlusPublishAckP50", ac50 / (rr50 + pa50));
        ratios.put("acquireP99OverRequestReplyP99", ac99 / rr99);
        ratios.put("acquireP99OverRequestReplyPlusPublishAckP99", ac99 / (rr99 + pa99));
        json.put("ratios", ratios);
        Files.createDirectories(outDir);
        Path file = outDir.resolve("acquire-latency-" + LocalDate.now() + ".json");
        Files.writeString(file, BenchJson.pretty(json), StandardCharsets.UTF_8);
        System.out.println("wrote " + file);
    }

    private static void row(String name, Histogram h) {
        System.out.printf(Locale.ROOT, "%-38s %8d %9.1f %9.1f %9.1f %9.1f %9.1f%n", name, h.getTotalCount(),
                us(h, 50), us(h, 90), us(h, 99), us(h, 99.9), h.getMaxValue() / 1000.0);
    }
}
