package io.quotahub.bench;

import io.quotahub.agent.Block;
import io.quotahub.agent.CallBlocks;
import io.quotahub.agent.QuotaClient;
import io.quotahub.testkit.NatsServer;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open-loop acquires with blocks on (docs/benchmarks.md, section 8): one SDK client of a real
 * hub-main (separate JVM, durable ledger), pool {@code bench} with {@code blocks: {max-calls, expiry: 2s}}
 * and one key of {@code requests 1e9 per 1m}. Each send is one call: {@code CallBlocks.tryAcquire(1)}
 * (the in-process fast path), or, when the client holds no block with room, {@code acquire(1, 2 s)}
 * on a waiting thread. Latency from the intended send time ({@link OpenLoop}); also the share of
 * calls served in-process and the hub's grants (blocks) per second.
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.BlockOpenLoop [--rates 1000,10000,100000] [--seconds 10]
 *      [--warm 2] [--max-calls 1000] [--hub-jar hub-main/target/hub-main.jar] [--out bench/results]
 * </pre>
 */
public final class BlockOpenLoop {

    private BlockOpenLoop() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchCli.parse("BlockOpenLoop", args, "rates=1000,10000,100000", "seconds=10", "warm=2",
                "max-calls=1000", "hub-jar=hub-main/target/hub-main.jar", "out=bench/results");
        double[] rates = Arrays.stream(o.getOrDefault("rates", "1000,10000,100000").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "10"));
        double warm = Double.parseDouble(o.getOrDefault("warm", "2"));
        int maxCalls = Integer.parseInt(o.getOrDefault("max-calls", "1000"));
        Path out = Path.of(o.getOrDefault("out", "bench/results"));
        String loadBefore = Stats.loadAverage();
        List<Map<String, Object>> phases = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        Path dir = Files.createTempDirectory("qh-bench-blocks-");
        ExecutorService waiters = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-block-wait");
            t.setDaemon(true);
            return t;
        });
        try (NatsServer nats = NatsServer.start()) {
            Path config = Files.writeString(dir.resolve("hub.yml"), """
                    quotahub:
                      hub-id: main
                      nats-url: %s
                      nats:
                        user-password-file: %s
                      pools:
                        bench:
                          preset: PREMIUM
                          blocks: { max-calls: %d, expiry: 2s }
                          keys:
                            - id: k1
                              secret-env: BENCH_BL_K1
                              limits:
                                - { requests: 1000000000, per: 1m }
                    """.formatted(nats.url(), nats.hubCredentials(), maxCalls));
            byte[] secret = new byte[16];
            new SecureRandom().nextBytes(secret);
            try (HubLaunch hub = HubLaunch.start(Path.of(o.getOrDefault("hub-jar", "hub-main/target/hub-main.jar")),
                    HubLaunch.PROD_JVM, config, Map.of("BENCH_BL_K1", "sk-bench-" + HexFormat.of().formatHex(secret)),
                    Duration.ofSeconds(120));
                 QuotaClient client = QuotaClient.builder().servers(nats.url()).agentId("bench-blocks")
                         .userPasswordFile(nats.credentials(NatsServer.AGENT)).build()) {
                CallBlocks blocks = client.blocks("bench");
                AtomicLong fast = new AtomicLong();
                AtomicLong slow = new AtomicLong();
                java.util.Set<String> grants = java.util.concurrent.ConcurrentHashMap.newKeySet();
                CompletableFuture<Object> served = CompletableFuture.completedFuture(null);
                OpenLoop.Sender sender = i -> {
                    Block b = blocks.tryAcquire(1);
                    if (b != null) {
                        fast.incrementAndGet();
                        if (i % 64 == 0) {
                            grants.add(b.leaseId());
                        }
                        return served;
                    }
                    slow.incrementAndGet();
                    return CompletableFuture.supplyAsync(() -> grants.add(blocks.acquire(1, Duration.ofSeconds(2)).leaseId()), waiters);
                };
                Map<String, Long> pids = new LinkedHashMap<>();
                pids.put("hub", hub.pid());
                pids.put("nats-server", nats.pid());
                OpenLoop.run(sender, 5_000, 0, 4, 20_000, 5, pids); // warm-up (JIT), unrecorded
                System.out.printf("hub ready; load %s%n", loadBefore);
                lines.add("| offered/s | achieved/s | p50 µs | p99 µs | p99.9 µs | max ms | in-process | blocks granted/s | hub cores | generator cores | generator floor p50 / p99 µs |");
                lines.add("|---|---|---|---|---|---|---|---|---|---|---|");
                for (double rate : rates) {
                    // the generator's own floor at this rate: a send that does nothing (its wake-up lateness)
                    OpenLoop.Phase floor = OpenLoop.run(i -> served, rate, warm, seconds, 20_000, 5, pids);
                    fast.set(0);
                    slow.set(0);
                    grants.clear();
                    OpenLoop.Phase p = OpenLoop.run(sender, rate, warm, seconds, 20_000, 5, pids);
                    Histogram h = p.latency();
                    double inProcess = fast.get() / (double) Math.max(1, fast.get() + slow.get());
                    String line = String.format(java.util.Locale.ROOT, "| %,d | %,.0f | %.1f | %.1f | %.1f | %.2f | %.2f %% | %.1f | %.2f | %.2f | %.1f / %.1f |",
                            Math.round(rate), p.achievedPerSec(), Stats.us(h, 50), Stats.us(h, 99), Stats.us(h, 99.9),
                            h.getMaxValue() / 1e6, 100 * inProcess, grants.size() / (warm + seconds),
                            p.coresByProcess().getOrDefault("hub", 0.0), p.coresByProcess().getOrDefault("generator", 0.0),
                            Stats.us(floor.latency(), 50), Stats.us(floor.latency(), 99));
                    lines.add(line);
                    System.out.println(line);
                    Map<String, Object> m = new LinkedHashMap<>(p.tree());
                    m.put("servedInProcess", inProcess);
                    m.put("blocksSeenPerSec", grants.size() / (warm + seconds));
                    m.put("generatorFloor", floor.tree());
                    phases.add(m);
                }
            }
        } finally {
            waiters.shutdownNow();
        }
        String loadAfter = Stats.loadAverage();
        System.out.println();
        lines.forEach(System.out::println);
        System.out.println("load before " + loadBefore + ", after " + loadAfter);
        Files.createDirectories(out);
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("benchmark", "BlockOpenLoop");
        tree.put("date", LocalDate.now().toString());
        tree.put("maxCalls", maxCalls);
        tree.put("machine", Stats.machine(loadBefore, loadAfter));
        tree.put("phases", phases);
        Path file = out.resolve("block-open-loop-" + LocalDate.now() + ".json");
        Files.writeString(file, BenchJson.pretty(tree));
        System.out.println("wrote " + file);
        System.exit(0);
    }
}
