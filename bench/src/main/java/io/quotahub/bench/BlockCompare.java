package io.quotahub.bench;

import io.quotahub.testkit.NatsServer;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Blocks beside per-call leases and Redis, open loop, in one run (docs/benchmarks.md, section 8):
 * at each offered rate (default 1 000 / 10 000 / 100 000 calls/s) the generator's own floor (a send
 * that does nothing), the SDK with blocks on ({@link BlockTarget}), the SDK's per-call leases
 * ({@link HubTarget}: one durable acquire + settle per call) and the Redis sliding-window check of
 * {@link RedisPeer} (no persistence, and AOF everysec). Each system runs alone, its rates one after
 * the other, on its own nats-server, hub or redis-server. Per-call leases cannot reach 100 000/s:
 * the table shows the rate they sustain. Writes {@code <out>/block-compare-<date>.json}, the PNG
 * {@code --png}, and prints a Markdown table ready for docs/benchmarks.md.
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.BlockCompare [--rates 1000,10000,100000] [--seconds 10]
 *      [--warm 2] [--max-calls 5000] [--clients 4] [--redis-server /usr/bin/redis-server] [--redis true]
 *      [--hub-jar hub-main/target/hub-main.jar] [--out bench/results] [--png docs/block-open-loop.png]
 * </pre>
 */
public final class BlockCompare {

    static final String FLOOR = "generator floor";
    static final String BLOCKS = "SDK, blocks on";
    static final String PER_CALL = "SDK, per-call leases";
    static final String REDIS_PLAIN = "Redis (no persistence)";
    static final String REDIS_AOF = "Redis (AOF everysec)";

    private BlockCompare() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchCli.parse("BlockCompare", args, "rates=1000,10000,100000", "seconds=10", "warm=2",
                "max-calls=5000", "clients=4", "max-in-flight=20000", "grace=5", "redis-server=/usr/bin/redis-server",
                "redis=true", "hub-jar=hub-main/target/hub-main.jar", "out=bench/results", "png=docs/block-open-loop.png");
        double[] rates = Throughput.rates(Map.of("rates", o.getOrDefault("rates", "1000,10000,100000")));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "10"));
        double warm = Double.parseDouble(o.getOrDefault("warm", "2"));
        int maxCalls = Integer.parseInt(o.getOrDefault("max-calls", "5000"));
        int clients = Integer.parseInt(o.getOrDefault("clients", "4"));
        int maxInFlight = Integer.parseInt(o.getOrDefault("max-in-flight", "20000"));
        double grace = Double.parseDouble(o.getOrDefault("grace", "5"));
        boolean withRedis = Boolean.parseBoolean(o.getOrDefault("redis", "true"));
        Path redisBinary = Path.of(o.getOrDefault("redis-server", "/usr/bin/redis-server"));
        Path hubJar = Path.of(o.getOrDefault("hub-jar", "hub-main/target/hub-main.jar"));
        Path out = Path.of(o.getOrDefault("out", "bench/results"));
        Path png = Path.of(o.getOrDefault("png", "docs/block-open-loop.png"));
        if (withRedis && !Files.isExecutable(redisBinary)) {
            System.err.println("BlockCompare: no redis-server at " + redisBinary + ". Install Debian's (apt-get install -y redis-server),"
                    + " name another with --redis-server PATH, or leave Redis out with --redis false.");
            System.exit(2);
        }

        String loadBefore = Stats.loadAverage();
        System.out.println("load before: " + loadBefore);
        Map<String, List<OpenLoop.Phase>> results = new LinkedHashMap<>();
        try (NatsServer nats = NatsServer.start(); BlockTarget blocks = new BlockTarget(hubJar, nats, maxCalls)) {
            Map<String, Long> pids = blocks.pids(nats);
            OpenLoop.run(blocks::send, 5_000, 0, 4, maxInFlight, grace, pids); // JIT warm-up, unrecorded
            for (double rate : rates) {
                record(results, FLOOR, OpenLoop.run(BlockTarget::nothing, rate, warm, seconds, maxInFlight, grace, pids));
                blocks.reset();
                record(results, BLOCKS, OpenLoop.run(blocks::send, rate, warm, seconds, maxInFlight, grace, pids));
                System.out.printf(Locale.ROOT, "    served in-process %.2f %%, blocks seen %.1f/s%n",
                        100 * blocks.servedInProcess(), blocks.blocksSeenPerSec(warm + seconds));
            }
        }
        try (NatsServer nats = NatsServer.start();
             HubTarget perCall = new HubTarget(hubJar, HubLaunch.PROD_JVM, nats, clients, 64, Duration.ofSeconds(5))) {
            Map<String, Long> pids = Map.of("hub", perCall.hub.pid(), "nats-server", nats.pid());
            OpenLoop.run(perCall::send, 5_000, 0, 8, maxInFlight, grace, pids); // JIT warm-up, as in RedisPeer
            perCall.awaitSettles(Duration.ofSeconds(10));
            for (double rate : rates) {
                record(results, PER_CALL, OpenLoop.run(perCall::send, rate, warm, seconds, maxInFlight, grace, pids));
                perCall.awaitSettles(Duration.ofSeconds(30));
            }
        }
        if (withRedis) {
            String binary = redisBinary.toString();
            try (RedisPeer.Redis plain = new RedisPeer.Redis(REDIS_PLAIN, binary, List.of("--save", "", "--appendonly", "no"), clients);
                 RedisPeer.Redis aof = new RedisPeer.Redis(REDIS_AOF, binary,
                         List.of("--save", "", "--appendonly", "yes", "--appendfsync", "everysec"), clients)) {
                for (RedisPeer.Redis r : List.of(plain, aof)) {
                    Map<String, Long> pids = Map.of("redis-server", r.pid());
                    OpenLoop.run(r::check, 2_000, 0, 5, maxInFlight, grace, pids); // warm-up
                    for (double rate : rates) {
                        record(results, r.name, OpenLoop.run(r::check, rate, warm, seconds, maxInFlight, grace, pids));
                    }
                }
            }
        }
        String loadAfter = Stats.loadAverage();

        String caption = String.format(Locale.ROOT, "%s s measured per phase after %s s warm-up; blocks max-calls %d, expiry 2 s;"
                + " load average before %s, after %s", fmt(seconds), fmt(warm), maxCalls, loadBefore, loadAfter);
        System.out.println();
        System.out.println(markdown(results, caption));

        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("rates", java.util.Arrays.toString(rates));
        settings.put("warmSeconds", warm);
        settings.put("seconds", seconds);
        settings.put("blockMaxCalls", maxCalls);
        settings.put("blockExpiry", "2s");
        settings.put("perCallClients", clients);
        settings.put("perCallSettle", HubTarget.settleMode(true));
        settings.put("redis", withRedis ? "EVALSHA sliding window, Lettuce async, " + clients + " connections" : "not run");
        Map<String, Object> bySystem = new LinkedHashMap<>();
        results.forEach((name, phases) -> bySystem.put(name, phases.stream().map(OpenLoop.Phase::tree).toList()));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "block-compare");
        json.put("time", Instant.now().toString());
        json.put("machine", Stats.machine(loadBefore, loadAfter));
        json.put("settings", settings);
        json.put("phases", bySystem);
        Files.createDirectories(out);
        Path file = out.resolve("block-compare-" + LocalDate.now() + ".json");
        Files.writeString(file, BenchJson.pretty(json));

        Map<String, Color> colors = Map.of(FLOOR, Color.GRAY, BLOCKS, new Color(0, 90, 200), PER_CALL, new Color(130, 0, 160),
                REDIS_PLAIN, new Color(0, 150, 60), REDIS_AOF, new Color(200, 60, 0));
        List<LatencyPlot.Series> series = new ArrayList<>();
        results.forEach((name, phases) -> {
            series.add(Throughput.series(name + " p50", colors.get(name), false, phases, 50));
            series.add(Throughput.series(name + " p99", colors.get(name), true, phases, 99));
        });
        LatencyPlot.write(png, "Blocks vs per-call leases vs Redis, open loop (one run)", caption, series, true, -2);
        System.out.println("wrote " + file + " and " + png);
        System.exit(0);
    }

    private static void record(Map<String, List<OpenLoop.Phase>> results, String name, OpenLoop.Phase p) {
        results.computeIfAbsent(name, k -> new ArrayList<>()).add(p);
        System.out.println(OpenLoop.row(name, p));
    }

    /**
     * The results as a Markdown table for docs/benchmarks.md: one row per offered rate and system
     * (in the order the systems ran), latencies with their unit, whether the system kept up
     * ({@link OpenLoop.Phase#keptUp()}) and if not why; then per system the highest offered rate it
     * kept up with and the highest rate it achieved; then the caption in italics.
     */
    static String markdown(Map<String, List<OpenLoop.Phase>> results, String caption) {
        StringBuilder sb = new StringBuilder();
        sb.append("| offered/s | system | achieved/s | p50 | p99 | p99.9 | kept up |\n");
        sb.append("|---:|---|---:|---:|---:|---:|---|\n");
        List<Double> rates = results.values().stream().flatMap(List::stream).map(OpenLoop.Phase::offeredPerSec)
                .distinct().sorted().toList();
        for (double rate : rates) {
            results.forEach((name, phases) -> phases.stream().filter(p -> p.offeredPerSec() == rate).forEach(p ->
                    sb.append(String.format(Locale.ROOT, "| %,d | %s | %,.0f | %s | %s | %s | %s |%n", Math.round(rate), name,
                            p.achievedPerSec(), latency(p, 50), latency(p, 99), latency(p, 99.9), keptUp(p)))));
        }
        sb.append('\n');
        results.forEach((name, phases) -> sb.append(String.format(Locale.ROOT,
                "- %s: kept up with %s; highest rate achieved %,.0f/s%n", name,
                phases.stream().filter(OpenLoop.Phase::keptUp).mapToDouble(OpenLoop.Phase::offeredPerSec).max()
                        .stream().mapToObj(r -> String.format(Locale.ROOT, "%,.0f/s offered", r)).findFirst().orElse("no rate offered"),
                phases.stream().mapToDouble(OpenLoop.Phase::achievedPerSec).max().orElse(0))));
        sb.append('\n').append('_').append(caption).append("_\n");
        return sb.toString();
    }

    static String keptUp(OpenLoop.Phase p) {
        if (p.keptUp()) {
            return "yes";
        }
        List<String> why = new ArrayList<>();
        if (p.unsent() > 0) {
            why.add(String.format(Locale.ROOT, "%,d unsent", p.unsent()));
        }
        if (p.failed() > 0) {
            why.add(String.format(Locale.ROOT, "%,d failed", p.failed()));
        }
        if (p.achievedPerSec() < 0.95 * p.offeredPerSec()) {
            why.add(String.format(Locale.ROOT, "%.0f %% of the offered rate", 100 * p.achievedPerSec() / p.offeredPerSec()));
        }
        return "**no** (" + String.join(", ", why) + ")";
    }

    /** A latency with its unit: µs below 10 ms, ms below 1 s, else s. */
    static String latency(OpenLoop.Phase p, double pct) {
        double us = Stats.us(p.latency(), pct);
        if (us < 100) {
            return String.format(Locale.ROOT, "%.1f µs", us);
        }
        if (us < 10_000) {
            return String.format(Locale.ROOT, "%,.0f µs", us);
        }
        if (us < 1_000_000) {
            return String.format(Locale.ROOT, "%,.1f ms", us / 1000);
        }
        return String.format(Locale.ROOT, "%.2f s", us / 1e6);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
