package io.quotahub.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.quotahub.testkit.FreePorts;
import io.quotahub.testkit.NatsServer;

import java.awt.Color;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The peer: a Redis sliding-window limiter of the kind Envoy's ratelimit service and LiteLLM use —
 * one Lua script per check ({@code ZREMRANGEBYSCORE} + {@code ZCARD} + {@code ZADD} +
 * {@code PEXPIRE} on a sorted set per key, called with {@code EVALSHA}) — on Debian's
 * {@code redis-server}, from a Java client (Lettuce, asynchronous, {@code --clients} connections),
 * at the same offered rates and with the same open-loop method ({@link OpenLoop}) as
 * {@link Throughput}, in the same run as the hub: for each rate, Redis without persistence
 * ({@code --save "" --appendonly no}), Redis with {@code --appendonly yes --appendfsync everysec},
 * and the SDK acquire to a real hub (durable JetStream ledger). The window and limit are the hub's
 * ({@code 1e9 per 1 min}, one key), so no check is refused. Starts and stops its own redis-servers,
 * nats-server and hub. Writes {@code <out>/redis-peer-<date>.json} and {@code --png}.
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.RedisPeer [--rates 1000,2000,5000,10000,20000,30000]
 *      [--seconds 10] [--warm 2] [--clients 4] [--hub true] [--redis-server /usr/bin/redis-server]
 *      [--hub-jar hub-main/target/hub-main.jar] [--out bench/results] [--png docs/latency-vs-rate-redis.png]
 * </pre>
 */
public final class RedisPeer {

    static final String SCRIPT = """
            local key = KEYS[1]
            local now = tonumber(ARGV[1])
            local window = tonumber(ARGV[2])
            local limit = tonumber(ARGV[3])
            redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
            local count = redis.call('ZCARD', key)
            if count < limit then
              redis.call('ZADD', key, now, ARGV[4])
              redis.call('PEXPIRE', key, window)
              return 1
            end
            return 0
            """;
    static final String WINDOW_MS = "60000";
    static final String LIMIT = "1000000000";

    /** One redis-server of ours, with Lettuce connections and the script loaded. */
    static final class Redis implements AutoCloseable {
        final String name;
        final Process process;
        final Path dir;
        final RedisClient client;
        final List<RedisAsyncCommands<String, String>> conns = new ArrayList<>();
        private final List<StatefulRedisConnection<String, String>> stateful = new ArrayList<>();
        final String sha;
        final AtomicLong refused = new AtomicLong();
        private final AtomicLong seq = new AtomicLong();

        Redis(String name, String binary, List<String> persistence, int clients) throws Exception {
            this.name = name;
            int port = FreePorts.next();
            this.dir = Files.createTempDirectory("qh-bench-redis-");
            List<String> cmd = new ArrayList<>(List.of(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--dir", dir.toString(), "--protected-mode", "no", "--logfile", dir.resolve("redis.log").toString()));
            cmd.addAll(persistence);
            this.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("stdout").toFile()).start();
            Runtime.getRuntime().addShutdownHook(new Thread(this::stopProcess));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline || !process.isAlive()) {
                        throw new IllegalStateException("redis-server did not start: " + Files.readString(dir.resolve("stdout")));
                    }
                    BenchHubs.sleep(50);
                }
            }
            this.client = RedisClient.create("redis://127.0.0.1:" + port);
            for (int i = 0; i < clients; i++) {
                StatefulRedisConnection<String, String> c = client.connect();
                stateful.add(c);
                conns.add(c.async());
            }
            this.sha = stateful.get(0).sync().scriptLoad(SCRIPT);
        }

        long pid() {
            return process.pid();
        }

        /** One limiter check, as a client of a sliding-window limiter makes it. */
        CompletableFuture<?> check(long i) {
            String member = i + ":" + seq.incrementAndGet();
            return conns.get((int) (i % conns.size()))
                    .<Long>evalsha(sha, ScriptOutputType.INTEGER, new String[] {"rl:bench:k1"},
                            Long.toString(System.currentTimeMillis()), WINDOW_MS, LIMIT, member)
                    .toCompletableFuture().thenApply(r -> {
                        if (r == null || r != 1L) {
                            refused.incrementAndGet();
                            throw new IllegalStateException("refused");
                        }
                        return r;
                    });
        }

        String info(String field) {
            for (String line : stateful.get(0).sync().info().split("\r?\n")) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1).trim();
                }
            }
            return "?";
        }

        private void stopProcess() {
            if (process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void close() {
            stateful.forEach(StatefulRedisConnection::close);
            client.shutdown();
            stopProcess();
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException ignored) {
                // harmless
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchCli.parse("RedisPeer", args, "rates=1000,2000,5000,10000,20000,30000", "seconds=10", "warm=2",
                "clients=4", "max-in-flight=20000", "grace=5", "hub=true", "redis-server=/usr/bin/redis-server", "jvm",
                "hub-jar=hub-main/target/hub-main.jar", "out=bench/results", "png=docs/latency-vs-rate-redis.png", "tag");
        run(o);
        System.exit(0);
    }

    private static void run(Map<String, String> o) throws Exception {
        Path hubJar = Path.of(o.getOrDefault("hub-jar", "hub-main/target/hub-main.jar"));
        Path out = Path.of(o.getOrDefault("out", "bench/results"));
        Path png = Path.of(o.getOrDefault("png", "docs/latency-vs-rate-redis.png"));
        String tag = o.getOrDefault("tag", "");
        String binary = o.getOrDefault("redis-server", "/usr/bin/redis-server");
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "10"));
        double warm = Double.parseDouble(o.getOrDefault("warm", "2"));
        int clients = Integer.parseInt(o.getOrDefault("clients", "4"));
        int maxInFlight = Integer.parseInt(o.getOrDefault("max-in-flight", "20000"));
        double grace = Double.parseDouble(o.getOrDefault("grace", "5"));
        boolean withHub = Boolean.parseBoolean(o.getOrDefault("hub", "true"));
        double[] rates = Throughput.rates(o);

        String loadBefore = Stats.loadAverage();
        List<OpenLoop.Phase> plain = new ArrayList<>();
        List<OpenLoop.Phase> aof = new ArrayList<>();
        List<OpenLoop.Phase> hub = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<Map<String, Object>> phaseJson = new ArrayList<>();
        String version;
        String memPlain;
        String memAof;
        try (Redis r1 = new Redis("redis (no persistence)", binary, List.of("--save", "", "--appendonly", "no"), clients);
             Redis r2 = new Redis("redis (AOF everysec)", binary, List.of("--save", "", "--appendonly", "yes", "--appendfsync", "everysec"), clients);
             NatsServer nats = withHub ? NatsServer.start() : null;
             HubTarget target = withHub ? new HubTarget(hubJar, Throughput.jvm(o), nats, clients, 64, Duration.ofSeconds(5)) : null) {
            version = r1.info("redis_version");
            System.out.printf("redis %s pids %d, %d; load %s%n", version, r1.pid(), r2.pid(), loadBefore);
            Map<String, Long> pids1 = Map.of("redis-server", r1.pid());
            Map<String, Long> pids2 = Map.of("redis-server", r2.pid());
            Map<String, Long> pidsHub = new LinkedHashMap<>();
            if (withHub) {
                pidsHub.put("hub", target.hub.pid());
                pidsHub.put("nats-server", nats.pid());
                OpenLoop.run(target::send, 5000, 0, 8, maxInFlight, grace, pidsHub); // JIT warm-up, as in Throughput
                target.awaitSettles(Duration.ofSeconds(10));
            }
            OpenLoop.run(r1::check, 2000, 0, 5, maxInFlight, grace, pids1);
            OpenLoop.run(r2::check, 2000, 0, 5, maxInFlight, grace, pids2);
            lines.add(OpenLoop.header("open loop (ms)"));
            for (double rate : rates) {
                String load = Stats.loadAverage();
                OpenLoop.Phase a = OpenLoop.run(r1::check, rate, warm, seconds, maxInFlight, grace, pids1);
                plain.add(a);
                lines.add(OpenLoop.row(r1.name, a));
                System.out.println(lines.get(lines.size() - 1));
                OpenLoop.Phase b = OpenLoop.run(r2::check, rate, warm, seconds, maxInFlight, grace, pids2);
                aof.add(b);
                lines.add(OpenLoop.row(r2.name, b));
                System.out.println(lines.get(lines.size() - 1));
                OpenLoop.Phase h = null;
                if (withHub) {
                    h = OpenLoop.run(target::send, rate, warm, seconds, maxInFlight, grace, pidsHub);
                    target.awaitSettles(Duration.ofSeconds(30));
                    hub.add(h);
                    lines.add(OpenLoop.row("QuotaHub SDK acquire (durable)", h));
                    System.out.println(lines.get(lines.size() - 1));
                }
                lines.add("    load " + load);
                Map<String, Object> phase = new LinkedHashMap<>();
                phase.put("loadAverage", load);
                phase.put("redisNoPersistence", a.tree());
                phase.put("redisAofEverysec", b.tree());
                phase.put("hubAcquire", h == null ? null : h.tree());
                phaseJson.add(phase);
            }
            memPlain = r1.info("used_memory_human");
            memAof = r2.info("used_memory_human");
        }
        String loadAfter = Stats.loadAverage();
        List<String> summary = new ArrayList<>();
        for (int i = 0; i < rates.length; i++) {
            if (hub.size() > i) {
                OpenLoop.Phase h = hub.get(i);
                summary.add(String.format(Locale.ROOT, "%6.0f/s: hub/redis-AOF p50 %.2f x, p99 %.2f x; hub/redis-plain p50 %.2f x, p99 %.2f x; achieved hub %.0f, AOF %.0f, plain %.0f",
                        rates[i], ratio(h, aof.get(i), 50), ratio(h, aof.get(i), 99), ratio(h, plain.get(i), 50),
                        ratio(h, plain.get(i), 99), h.achievedPerSec(), aof.get(i).achievedPerSec(), plain.get(i).achievedPerSec()));
            }
        }
        summary.add(String.format(Locale.ROOT, "highest offered rate with p99 < 5 ms: hub %.0f, redis AOF %.0f, redis plain %.0f; highest achieved: hub %.0f, AOF %.0f, plain %.0f",
                best(hub), best(aof), best(plain), maxAch(hub), maxAch(aof), maxAch(plain)));
        summary.add("redis " + version + " used_memory after the sweep: plain " + memPlain + ", AOF " + memAof);
        summary.add("load average before " + loadBefore + ", after " + loadAfter);
        System.out.println();
        lines.forEach(System.out::println);
        summary.forEach(System.out::println);

        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("rates", Arrays.toString(rates));
        settings.put("warmSeconds", warm);
        settings.put("seconds", seconds);
        settings.put("clients", clients);
        settings.put("redis", version);
        settings.put("client", "Lettuce 7.2.3 async, EVALSHA");
        settings.put("windowMs", Long.parseLong(WINDOW_MS));
        settings.put("limit", Long.parseLong(LIMIT));
        settings.put("hub", withHub ? "acquireAsync(bench,1,5s) + " + HubTarget.settleMode(true) : "not run");
        Map<String, Object> sum = new LinkedHashMap<>();
        sum.put("sustainedP99Under5ms", Map.of("hub", Math.round(best(hub)), "redisAof", Math.round(best(aof)),
                "redisPlain", Math.round(best(plain))));
        sum.put("highestAchieved", Map.of("hub", Math.round(maxAch(hub)), "redisAof", Math.round(maxAch(aof)),
                "redisPlain", Math.round(maxAch(plain))));
        sum.put("redisUsedMemory", Map.of("plain", memPlain, "aof", memAof));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "redis-peer");
        json.put("time", Instant.now().toString());
        json.put("machine", Stats.machine(loadBefore, loadAfter));
        json.put("settings", settings);
        json.put("script", SCRIPT);
        json.put("phases", phaseJson);
        json.put("summary", sum);
        Files.createDirectories(out);
        String base = "redis-peer-" + LocalDate.now() + (tag.isEmpty() ? "" : "-" + tag);
        Files.writeString(out.resolve(base + ".json"), BenchJson.pretty(json));
        List<String> all = new ArrayList<>(lines);
        all.add("");
        all.addAll(summary);
        Files.write(out.resolve(base + ".txt"), all);
        List<LatencyPlot.Series> series = new ArrayList<>();
        if (!hub.isEmpty()) {
            series.add(Throughput.series("QuotaHub p50", new Color(0, 90, 200), false, hub, 50));
            series.add(Throughput.series("QuotaHub p99", new Color(0, 90, 200), true, hub, 99));
        }
        series.add(Throughput.series("Redis AOF everysec p50", new Color(200, 60, 0), false, aof, 50));
        series.add(Throughput.series("Redis AOF everysec p99", new Color(200, 60, 0), true, aof, 99));
        series.add(Throughput.series("Redis no persistence p50", new Color(0, 150, 60), false, plain, 50));
        series.add(Throughput.series("Redis no persistence p99", new Color(0, 150, 60), true, plain, 99));
        LatencyPlot.write(png, "QuotaHub acquire vs Redis sliding-window (Lua) check, open loop",
                "same run, same 2-core shared VM; load " + loadBefore + " -> " + loadAfter, series);
        System.out.println("wrote " + out.resolve(base + ".json") + " and " + png);
    }

    private static double ratio(OpenLoop.Phase a, OpenLoop.Phase b, double pct) {
        return Stats.us(a.latency(), pct) / Math.max(0.001, Stats.us(b.latency(), pct));
    }

    private static double best(List<OpenLoop.Phase> phases) {
        return phases.stream().filter(p -> p.sustained(Throughput.TARGET_P99_MS)).mapToDouble(OpenLoop.Phase::offeredPerSec).max().orElse(0);
    }

    private static double maxAch(List<OpenLoop.Phase> phases) {
        return phases.stream().mapToDouble(OpenLoop.Phase::achievedPerSec).max().orElse(0);
    }
}
