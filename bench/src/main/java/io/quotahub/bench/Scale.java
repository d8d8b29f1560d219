package io.quotahub.bench;

import com.fasterxml.jackson.jr.ob.JSON;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.proto.Grant;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Settle;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scale of one hub-main (separate JVM, production flags):
 * <ol>
 *   <li><b>Keys</b>: pool {@code scale} with 1, 1 000 and 10 000 keys (generated config, each key's
 *       secret in its own file, mode 600, in a temp dir): hub RSS ({@code /proc/<pid>/status} VmRSS)
 *       idle after readiness, then acquire+settle closed loop through the SDK (p50/p99, and the hub's
 *       CPU per acquire+settle from {@code /proc/<pid>/stat}), open-loop traffic at 2 000/s, RSS after.</li>
 *   <li><b>Restart</b> with {@code --events} (1 000 000) ledger events: the hub creates its ledger
 *       stream, is stopped; LedgerBatch messages of 100 events (50 Grant + 50 Settle, the hub's
 *       format and field values, spread over the last 20 minutes) are published to
 *       {@code QH_LEDGER_main}; then the time from process start to readiness 200, several times,
 *       beside the same hub's start on a near-empty ledger, and the hub's own "replayed N events in
 *       X ms" log line.</li>
 *   <li><b>SDK memory</b>: {@link SdkMemory} in a fresh JVM.</li>
 * </ol>
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.Scale [--keys 1,1000,10000] [--events 1000000]
 *      [--restarts 3] [--samples 5000] [--only keys,restart,sdk] [--jvm "-Xms128m -Xmx512m -XX:+ExitOnOutOfMemoryError"]
 *      [--hub-jar hub-main/target/hub-main.jar] [--out bench/results] [--linger 0]
 *
 * --linger S keeps each restarted hub up to S s after readiness until its background snapshot is
 * written, so the following restarts start from it (snapshot-every as configured, e.g. by
 * --jvm "... -Dquotahub.snapshot-every=5000").
 * </pre>
 */
public final class Scale {

    private final Map<String, String> o;
    private final Path hubJar;
    private final List<String> lines = new ArrayList<>();
    private final Map<String, Object> json = new LinkedHashMap<>();

    private Scale(Map<String, String> o) {
        this.o = o;
        this.hubJar = Path.of(o.getOrDefault("hub-jar", "hub-main/target/hub-main.jar"));
    }

    public static void main(String[] args) throws Exception {
        new Scale(BenchCli.parse("Scale", args, "keys=1,1000,10000", "events=1000000", "restarts=3", "samples=5000",
                "only=keys,restart,sdk", "linger=0", "jvm", "hub-jar=hub-main/target/hub-main.jar", "out=bench/results", "tag")).run();
        System.exit(0);
    }

    private boolean enabled(String part) {
        String only = o.get("only");
        return only == null || List.of(only.split(",")).contains(part);
    }

    private void out(String line) {
        System.out.println(line);
        lines.add(line);
    }

    private void run() throws Exception {
        String loadBefore = Stats.loadAverage();
        out("load average " + loadBefore + "; hub JVM " + String.join(" ", Throughput.jvm(o)));
        if (enabled("keys")) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String k : o.getOrDefault("keys", "1,1000,10000").split(",")) {
                rows.add(keys(Integer.parseInt(k)));
            }
            json.put("keys", rows);
        }
        if (enabled("restart")) {
            json.put("restart", restart(Integer.parseInt(o.getOrDefault("events", "1000000"))));
        }
        if (enabled("sdk")) {
            json.put("sdkMemory", sdkMemory());
        }
        String loadAfter = Stats.loadAverage();
        out("load average after " + loadAfter);
        Path outDir = Path.of(o.getOrDefault("out", "bench/results"));
        Files.createDirectories(outDir);
        String tag = o.getOrDefault("tag", "");
        String base = "scale-" + LocalDate.now() + (tag.isEmpty() ? "" : "-" + tag);
        Map<String, Object> doc = BenchJson.obj("benchmark", "scale", "time", Instant.now().toString(),
                "machine", Stats.machine(loadBefore, loadAfter), "hubJvm", String.join(" ", Throughput.jvm(o)));
        doc.putAll(json);
        Files.writeString(outDir.resolve(base + ".json"), BenchJson.pretty(doc));
        Files.write(outDir.resolve(base + ".txt"), lines);
        System.out.println("wrote " + outDir.resolve(base + ".json"));
    }

    // ---- keys --------------------------------------------------------------------------------

    private Map<String, Object> keys(int keys) throws Exception {
        int samples = Integer.parseInt(o.getOrDefault("samples", "5000"));
        Path dir = Files.createTempDirectory("qh-bench-scale-");
        String load = Stats.loadAverage();
        StringBuilder yaml = new StringBuilder();
        try (NatsServer nats = NatsServer.start()) {
            yaml.append("quotahub:\n  hub-id: main\n  nats-url: ").append(nats.url()).append("\n  pools:\n    scale:\n      preset: PREMIUM\n      keys:\n");
            SecureRandom random = new SecureRandom();
            Path secrets = Files.createDirectory(dir.resolve("secrets"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            for (int i = 0; i < keys; i++) {
                byte[] b = new byte[16];
                random.nextBytes(b);
                Path f = secrets.resolve("k" + i);
                Files.writeString(f, "sk-bench-" + HexFormat.of().formatHex(b));
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
                yaml.append("        - id: k").append(i).append("\n          secret-file: ").append(f)
                        .append("\n          limits:\n            - { requests: 1000000, per: 1m }\n");
            }
            Path config = Files.writeString(dir.resolve("hub.yml"), yaml.toString());
            try (HubLaunch hub = HubLaunch.start(hubJar, Throughput.jvm(o), config, Map.of(), Duration.ofSeconds(180))) {
                BenchHubs.sleep(5000);
                long rssIdle = HubLaunch.rssKiB(hub.pid());
                Histogram h = Stats.histogram();
                long cpu0;
                long cpu1;
                try (QuotaClient client = QuotaClient.builder().servers(nats.url()).agentId("bench-scale").build()) {
                    closedLoop(client, 2000, null);
                    cpu0 = HubLaunch.cpuNanos(hub.pid());
                    closedLoop(client, samples, h);
                    cpu1 = HubLaunch.cpuNanos(hub.pid());
                }
                double cpuUs = (cpu1 - cpu0) / 1000.0 / samples;
                long rssClosed = HubLaunch.rssKiB(hub.pid());
                // open-loop traffic: every key gets leases (the engine picks the key with the most room)
                OpenLoop.Phase p;
                try (QuotaClient c = QuotaClient.builder().servers(nats.url()).agentId("bench-scale-ol").build()) {
                    p = OpenLoop.run(i -> c.acquireAsync("scale", 1, Duration.ofSeconds(5)).thenAccept(HubTarget::settleAsync), 2000, 1, 10, 20000, 5,
                            Map.of("hub", hub.pid()));
                }
                BenchHubs.sleep(2000);
                long rssAfter = HubLaunch.rssKiB(hub.pid());
                out(String.format(Locale.ROOT, "keys %5d: start %.2f s; RSS idle %d MiB, after closed loop %d MiB, after open loop %d MiB; "
                                + "closed-loop acquire p50 %.0f µs p99 %.0f µs; hub CPU %.0f µs per acquire+settle; open loop 2000/s p50 %.2f ms p99 %.2f ms (hub %.2f cores); load %s",
                        keys, hub.startSeconds(), rssIdle / 1024, rssClosed / 1024, rssAfter / 1024, Stats.us(h, 50), Stats.us(h, 99), cpuUs,
                        Stats.ms(p.latency(), 50), Stats.ms(p.latency(), 99), p.coresByProcess().getOrDefault("hub", 0.0), load));
                return BenchJson.obj("keys", keys, "loadAverage", load, "startSeconds", hub.startSeconds(),
                        "rssIdleKiB", rssIdle, "rssAfterClosedLoopKiB", rssClosed, "rssAfterOpenLoopKiB", rssAfter,
                        "closedLoopAcquireUs", Stats.summary(h, 1000), "hubCpuUsPerAcquireSettle", cpuUs,
                        "openLoop2000", p.tree());
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void closedLoop(QuotaClient client, int n, Histogram into) {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            Lease lease = client.acquire("scale", 1, Duration.ofSeconds(5));
            Stats.record(into, System.nanoTime() - t0);
            lease.complete(1);
        }
    }

    // ---- restart -----------------------------------------------------------------------------

    private Map<String, Object> restart(int events) throws Exception {
        int restarts = Integer.parseInt(o.getOrDefault("restarts", "3"));
        Path dir = Files.createTempDirectory("qh-bench-restart-");
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        Map<String, String> env = Map.of("BENCH_RS_K1", "sk-bench-" + HexFormat.of().formatHex(b));
        Map<String, Object> results = new LinkedHashMap<>();
        try (NatsServer nats = NatsServer.start()) {
            Path config = Files.writeString(dir.resolve("hub.yml"), """
                    quotahub:
                      hub-id: main
                      nats-url: %s
                      pools:
                        bench:
                          preset: PREMIUM
                          keys:
                            - id: k1
                              secret-env: BENCH_RS_K1
                              limits:
                                - { requests: 1000000000, per: 1m }
                    """.formatted(nats.url()));
            List<Map<String, Object>> emptyStarts = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                try (HubLaunch hub = HubLaunch.start(hubJar, Throughput.jvm(o), config, env, Duration.ofSeconds(120))) {
                    long[] rep = hub.replayed();
                    emptyStarts.add(BenchJson.obj("startSeconds", hub.startSeconds(), "replayedEvents", rep == null ? -1 : rep[0],
                            "replayMs", rep == null ? -1 : rep[1], "rssKiB", HubLaunch.rssKiB(hub.pid())));
                    out(String.format(Locale.ROOT, "restart, near-empty ledger: ready %.2f s after process start (replayed %s events in %s ms); load %s",
                            hub.startSeconds(), rep == null ? "?" : rep[0], rep == null ? "?" : rep[1], Stats.loadAverage()));
                }
            }
            long t0 = System.nanoTime();
            long[] written = fillLedger(nats.url(), events);
            double fillSeconds = (System.nanoTime() - t0) / 1e9;
            out(String.format(Locale.ROOT, "ledger filled: %d events in %d messages, %d MiB stored, in %.1f s", written[0], written[1],
                    written[2] >> 20, fillSeconds));
            List<Map<String, Object>> starts = new ArrayList<>();
            for (int r = 0; r < restarts; r++) {
                String load = Stats.loadAverage();
                try (HubLaunch hub = HubLaunch.start(hubJar, Throughput.jvm(o), config, env, Duration.ofSeconds(600))) {
                    long[] rep = hub.replayed();
                    long rss = HubLaunch.rssKiB(hub.pid());
                    long heapUsed = heapUsed(hub);
                    String from = matched(hub, FROM_SNAPSHOT, 1);
                    String snapshot = lingerForSnapshot(hub);
                    Map<String, Object> start = BenchJson.obj("startSeconds", hub.startSeconds(),
                            "replayedEvents", rep == null ? -1 : rep[0], "replayMs", rep == null ? -1 : rep[1], "rssKiB", rss,
                            "heapUsedBytes", heapUsed, "fromSnapshotOwnSeq", from == null ? null : Long.parseLong(from.trim()),
                            "snapshotWritten", snapshot == null ? "" : snapshot, "loadAverage", load);
                    starts.add(start);
                    out(String.format(Locale.ROOT, "restart %d with %d events: ready %.2f s after process start; hub log: replayed %s events in %s ms%s; RSS %d MiB; load %s%s",
                            r + 1, written[0], hub.startSeconds(), rep == null ? "?" : rep[0], rep == null ? "?" : rep[1],
                            from == null ? " (no snapshot: full replay)" : " after a snapshot through own sequence " + from, rss / 1024, load,
                            snapshot == null ? "" : "; then " + snapshot));
                } catch (RuntimeException e) {
                    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
                    out("restart " + (r + 1) + " FAILED: " + msg.substring(0, Math.min(msg.length(), 3000)));
                    starts.add(Map.of("failed", msg.substring(0, Math.min(msg.length(), 500)).replace("\"", "'").replace("\n", " ")));
                }
            }
            results.put("nearEmptyLedgerStarts", emptyStarts);
            results.put("filled", BenchJson.obj("events", written[0], "messages", written[1], "storedBytes", written[2],
                    "fillSeconds", fillSeconds,
                    "format", "LedgerBatch of 100 events: 50 Grant + 50 Settle (OK), at_epoch_ms spread over the last 20 min"));
            results.put("starts", starts);
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return results;
    }

    private static final java.util.regex.Pattern FROM_SNAPSHOT = java.util.regex.Pattern.compile("after the snapshot of own ledger through (\\d+)");
    private static final java.util.regex.Pattern SNAPSHOT_WRITTEN = java.util.regex.Pattern.compile("snapshot written: (.*)");

    private static String matched(HubLaunch hub, java.util.regex.Pattern p, int group) {
        var m = p.matcher(hub.logText());
        return m.find() ? m.group(group) : null;
    }

    /**
     * With {@code --linger S}: keeps the restarted hub up to S seconds until its background snapshot
     * is written (so the next restart can start from it); what its log says about it, or null.
     */
    private String lingerForSnapshot(HubLaunch hub) {
        long deadline = System.nanoTime() + (long) (Double.parseDouble(o.getOrDefault("linger", "0")) * 1e9);
        String written = matched(hub, SNAPSHOT_WRITTEN, 1);
        while (written == null && System.nanoTime() < deadline) {
            BenchHubs.sleep(200);
            written = matched(hub, SNAPSHOT_WRITTEN, 1);
        }
        return written == null ? null : "snapshot written: " + written.trim();
    }

    private static long heapUsed(HubLaunch hub) {
        try {
            String body = hub.get("/api/v1/system");
            var m = java.util.regex.Pattern.compile("\"heapUsed(?:Bytes)?\"\\s*:\\s*(\\d+)").matcher(body);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Publishes {@code events} ledger events as batches of 100 to QH_LEDGER_main; {events, messages, stored bytes}. */
    static long[] fillLedger(String url, int events) throws Exception {
        try (Connection c = Nats.connect(new Options.Builder().server(url).connectionName("bench-fill").build())) {
            JetStream js = c.jetStream();
            JetStreamManagement jsm = c.jetStreamManagement();
            String subject = Subjects.ledgerEvents("main");
            long now = System.currentTimeMillis();
            long from = now - 20 * 60_000L;
            String epoch = Long.toString(now - 3_600_000L, 36);
            int perBatch = 100;
            int batches = events / perBatch;
            Semaphore window = new Semaphore(256);
            AtomicLong failed = new AtomicLong();
            long seq = 0;
            SecureRandom rnd = new SecureRandom();
            for (int bi = 0; bi < batches; bi++) {
                LedgerBatch.Builder batch = LedgerBatch.newBuilder().setPeerSeq(0);
                long at = from + (long) ((now - 1000 - from) * (bi / (double) batches));
                for (int j = 0; j < perBatch / 2; j++) {
                    String lease = "main-" + epoch + "-" + Long.toString(seq, 36);
                    long tokens = 200 + rnd.nextInt(1800);
                    batch.addEvents(LedgerEvent.newBuilder().setHubId("main").setAtEpochMs(at).setGrant(Grant.newBuilder()
                            .setLeaseId(lease).setRequestId("bench-agent-" + (seq % 20) + "-" + Long.toString(seq, 36) + "-1")
                            .setAgentId("bench-agent-" + (seq % 20)).setPool("bench").setKeyId("k1").setTokens(tokens)
                            .setPriority(Priority.NORMAL).setExpiresAtEpochMs(at + 60_000)));
                    batch.addEvents(LedgerEvent.newBuilder().setHubId("main").setAtEpochMs(at + 1).setSettle(Settle.newBuilder()
                            .setLeaseId(lease).setTokensUsed(tokens - rnd.nextInt(100)).setOutcome(Outcome.OK)));
                    seq++;
                }
                window.acquire();
                CompletableFuture<?> f = js.publishAsync(subject, batch.build().toByteArray());
                f.whenComplete((a, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                    }
                    window.release();
                });
            }
            window.acquire(256);
            if (failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " ledger batches not stored");
            }
            var state = jsm.getStreamInfo(Subjects.ledgerStream("main")).getStreamState();
            return new long[] {(long) batches * perBatch, batches, state.getByteCount()};
        }
    }

    // ---- SDK memory --------------------------------------------------------------------------

    private List<Object> sdkMemory() throws Exception {
        Path dir = Files.createTempDirectory("qh-bench-sdk-");
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        try (NatsServer nats = NatsServer.start()) {
            Path config = Files.writeString(dir.resolve("hub.yml"), """
                    quotahub:
                      hub-id: main
                      nats-url: %s
                      pools:
                        bench:
                          preset: PREMIUM
                          keys:
                            - id: k1
                              secret-env: BENCH_SDK_K1
                              limits:
                                - { requests: 1000000000, per: 1m }
                    """.formatted(nats.url()));
            try (HubLaunch hub = HubLaunch.start(hubJar, Throughput.jvm(o), config,
                    Map.of("BENCH_SDK_K1", "sk-bench-" + HexFormat.of().formatHex(b)), Duration.ofSeconds(120))) {
                List<Object> runs = new ArrayList<>();
                for (String n : new String[] {"1000", "10000"}) {
                    String jar = Path.of(SdkMemory.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                            "-XX:+UseSerialGC", "-cp", jar, SdkMemory.class.getName(), nats.url(), "bench", n)
                            .redirectErrorStream(true).start();
                    String result = null;
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            if (line.startsWith("{\"leases\"")) {
                                result = line;
                            }
                        }
                    }
                    p.waitFor();
                    out("SDK memory (fresh JVM, -XX:+UseSerialGC, one QuotaClient after " + n + " acquire+complete): " + result);
                    runs.add(result == null ? null : JSON.std.anyFrom(result));
                }
                return runs;
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
