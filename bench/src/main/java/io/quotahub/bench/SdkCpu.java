package io.quotahub.bench;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.agent.QuotaClient;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The SDK's own CPU per acquire + settle, beside the same NATS work done raw, in one run.
 *
 * <p>One nats-server and an {@link EchoHub} (a hub that answers at once, no engine, no ledger) in
 * processes of their own; in this JVM, alternately: <b>raw</b> — 4 plain jnats connections, each
 * operation an {@code AcquireRequest} request-reply on the queue subject and then a
 * {@code SettleRequest} request-reply on the hub's direct subject (the same messages as the SDK, no
 * retries, routing or timers: the floor); and <b>SDK</b> — 4 {@link QuotaClient}s, each operation
 * {@code acquireAsync} then {@code Lease.completeAsync(1)}. Each phase reports this JVM's CPU per
 * operation (= the client's cost: the generator loop is the same in both), the echo hub's and
 * nats-server's, and this JVM's voluntary context switches per operation (thread wake-ups, summed
 * over {@code /proc/self/task/*}/status). Open loop at fixed rates ({@link OpenLoop}) and closed loop
 * with N operations always outstanding (saturation).
 *
 * <pre>java -cp bench.jar io.quotahub.bench.SdkCpu --rates 2000,10000 --saturate 256 --seconds 10 --repeat 2 [--raw false]</pre>
 */
public final class SdkCpu {

    private SdkCpu() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchCli.parse("SdkCpu", args, "rates=2000,10000", "seconds=10", "warm=3", "clients=4",
                "repeat=1", "raw=true", "saturate=256");
        double[] rates = Throughput.rates(Map.of("rates", o.getOrDefault("rates", "2000,10000")));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "10"));
        double warm = Double.parseDouble(o.getOrDefault("warm", "3"));
        int clients = Integer.parseInt(o.getOrDefault("clients", "4"));
        int repeat = Integer.parseInt(o.getOrDefault("repeat", "1"));
        boolean withRaw = Boolean.parseBoolean(o.getOrDefault("raw", "true"));
        List<Integer> saturate = Stream.of(o.getOrDefault("saturate", "256").split(",")).map(Integer::parseInt).toList();
        System.out.println("load before: " + Stats.loadAverage());
        try (NatsServer nats = NatsServer.start()) {
            Process echo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), EchoHub.class.getName(), nats.url())
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(echo.getInputStream()));
                if (!"ready".equals(out.readLine())) {
                    throw new IllegalStateException("echo hub did not start");
                }
                Map<String, Long> pids = new LinkedHashMap<>();
                pids.put("echo-hub", echo.pid());
                pids.put("nats-server", nats.pid());
                try (Raw raw = new Raw(nats.url(), clients); Sdk sdk = new Sdk(nats.url(), clients)) {
                    System.out.println("warm-up (JIT): 8 s at 5000/s each");
                    if (withRaw) {
                        OpenLoop.run(raw::send, 5000, 0, 8, 20_000, 5, Map.of());
                    }
                    OpenLoop.run(sdk::send, 5000, 0, 8, 20_000, 5, Map.of());
                    System.out.println(String.format(Locale.ROOT, "%-28s %9s %9s %8s %8s %s", "phase", "offered",
                            "achieved", "p50 ms", "p99 ms", "µs CPU per acquire+settle: client / echo-hub / nats-server; client wake-ups per op"));
                    for (int r = 0; r < repeat; r++) {
                        for (double rate : rates) {
                            for (boolean useSdk : withRaw ? new boolean[] {false, true} : new boolean[] {true}) {
                                long cs = contextSwitches();
                                OpenLoop.Phase p = OpenLoop.run(useSdk ? sdk::send : raw::send, rate, warm, seconds,
                                        20_000, 5, pids);
                                double ops = p.achievedPerSec() * p.wallSeconds();
                                print((useSdk ? "SDK" : "raw") + " open loop", rate, p.achievedPerSec(),
                                        Stats.ms(p.latency(), 50), Stats.ms(p.latency(), 99), p.coresByProcess(),
                                        (contextSwitches() - cs) / (double) (p.sent()), p.failed());
                            }
                        }
                        for (int n : saturate) {
                            for (boolean useSdk : withRaw ? new boolean[] {false, true} : new boolean[] {true}) {
                                closed((useSdk ? "SDK" : "raw") + " closed loop " + n, useSdk ? sdk::send : raw::send,
                                        n, warm, seconds, pids);
                            }
                        }
                    }
                }
            } finally {
                echo.destroyForcibly();
            }
        }
        System.out.println("load after: " + Stats.loadAverage());
    }

    private static void print(String name, double offered, double achieved, double p50, double p99,
            Map<String, Double> cores, double wakeups, long failed) {
        double g = cores.getOrDefault("generator", 0.0) / achieved * 1e6;
        double e = cores.getOrDefault("echo-hub", 0.0) / achieved * 1e6;
        double n = cores.getOrDefault("nats-server", 0.0) / achieved * 1e6;
        System.out.println(String.format(Locale.ROOT, "%-28s %9s %9.0f %8.2f %8.2f %6.1f / %5.1f / %5.1f; %5.1f wake-ups%s",
                name, offered < 0 ? "-" : String.format(Locale.ROOT, "%.0f", offered), achieved, p50, p99, g, e, n, wakeups,
                failed > 0 ? " (" + failed + " failed)" : ""));
    }

    /** Closed loop: {@code n} operations always outstanding. */
    private static void closed(String name, OpenLoop.Sender s, int n, double warm, double seconds, Map<String, Long> pids)
            throws InterruptedException {
        Semaphore permits = new Semaphore(n);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        long measureAt = start + (long) (warm * 1e9);
        long endAt = measureAt + (long) (seconds * 1e9);
        boolean measuring = false;
        long doneBefore = 0;
        long cpuBefore = 0;
        long cs = 0;
        Map<String, Long> before = new LinkedHashMap<>();
        for (long i = 0; ; i++) {
            long now = System.nanoTime();
            if (!measuring && now >= measureAt) {
                measuring = true;
                doneBefore = done.get();
                cpuBefore = OpenLoop.processCpu();
                cs = contextSwitches();
                pids.forEach((k, pid) -> before.put(k, HubLaunch.cpuNanos(pid)));
            }
            if (now >= endAt) {
                break;
            }
            permits.acquire();
            s.send(i).whenComplete((v, e) -> {
                (e == null ? done : failed).incrementAndGet();
                permits.release();
            });
        }
        long ops = done.get() - doneBefore;
        double wall = (System.nanoTime() - measureAt) / 1e9;
        Map<String, Double> cores = new LinkedHashMap<>();
        cores.put("generator", (OpenLoop.processCpu() - cpuBefore) / 1e9 / wall);
        before.forEach((k, b) -> cores.put(k, (HubLaunch.cpuNanos(pids.get(k)) - b) / 1e9 / wall));
        double wakeups = (contextSwitches() - cs) / (double) ops;
        permits.acquire(n);
        print(name, -1, ops / wall, Double.NaN, Double.NaN, cores, wakeups, failed.get());
    }

    /** Voluntary context switches of every thread of this JVM (each one a thread going to sleep). */
    static long contextSwitches() {
        long sum = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return sum;
    }

    /** The SDK: acquireAsync, then completeAsync(1). */
    private static final class Sdk implements AutoCloseable {
        private final List<QuotaClient> clients = new ArrayList<>();

        Sdk(String url, int count) {
            for (int i = 0; i < count; i++) {
                clients.add(QuotaClient.builder().servers(url).agentId("bench-sdk-cpu-" + i).build());
            }
        }

        CompletableFuture<?> send(long i) {
            return clients.get((int) (i % clients.size())).acquireAsync(HubTarget.POOL, 1, Duration.ofSeconds(5))
                    .thenCompose(lease -> lease.completeAsync(1));
        }

        @Override
        public void close() {
            clients.forEach(QuotaClient::close);
        }
    }

    /** The same two request-replies with plain jnats: the floor. */
    private static final class Raw implements AutoCloseable {
        private static final Duration TIMEOUT = Duration.ofSeconds(5);
        private final List<Connection> connections = new ArrayList<>();
        private final AtomicLong ids = new AtomicLong();

        Raw(String url, int count) throws Exception {
            for (int i = 0; i < count; i++) {
                connections.add(Nats.connect(new Options.Builder().server(url).connectionName("bench-raw-" + i).build()));
            }
        }

        CompletableFuture<?> send(long i) {
            Connection c = connections.get((int) (i % connections.size()));
            byte[] acquire = AcquireRequest.newBuilder().setRequestId("raw-" + ids.incrementAndGet())
                    .setAgentId("bench-raw").setPool(HubTarget.POOL).setTokens(1).setPriority(Priority.NORMAL)
                    .setDeadlineEpochMs(System.currentTimeMillis() + TIMEOUT.toMillis()).build().toByteArray();
            return c.requestWithTimeout(Subjects.ACQUIRE, acquire, TIMEOUT).thenCompose(msg -> {
                AcquireReply reply;
                try {
                    reply = AcquireReply.parseFrom(msg.getData());
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    return CompletableFuture.failedFuture(e);
                }
                byte[] settle = SettleRequest.newBuilder().setRequestId("raw-" + ids.incrementAndGet())
                        .setLeaseId(reply.getGranted().getLeaseId()).setLeaseSecret(reply.getGranted().getLeaseSecret())
                        .setAgentId("bench-raw").setTokensUsed(1).setOutcome(Outcome.OK)
                        .setDeadlineEpochMs(System.currentTimeMillis() + TIMEOUT.toMillis()).build().toByteArray();
                return c.requestWithTimeout(Subjects.hubSettle(reply.getHubId()), settle, TIMEOUT);
            }).thenApply(msg -> {
                try {
                    return SettleReply.parseFrom(msg.getData());
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            for (Connection c : connections) {
                c.close();
            }
        }
    }
}
