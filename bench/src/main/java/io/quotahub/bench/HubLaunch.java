package io.quotahub.bench;

import io.quotahub.testkit.FreePorts;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One hub-main process started from its jar with the production JVM flags of
 * {@code infra/systemd/hub-main.service} ({@code -Xms128m -Xmx512m -XX:+ExitOnOutOfMemoryError},
 * overridable), the config file in {@code MICRONAUT_CONFIG_FILES} and secrets in the environment
 * (or in secret files the config names). Measures the time from process start to the first
 * {@code GET /health/readiness} = 200 (polled every 20 ms), and reads the process's RSS and CPU
 * time from {@code /proc}. {@link #close()} stops only this process.
 */
final class HubLaunch implements AutoCloseable {

    static final List<String> PROD_JVM = List.of("-Xms128m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError");
    private static final Pattern REPLAYED = Pattern.compile("replayed (\\d+) ledger events in (\\d+) ms");

    final Process process;
    final int httpPort;
    final Path log;
    final long startNanos;
    long readyNanos;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private HubLaunch(Process process, int httpPort, Path log, long startNanos) {
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
        this.startNanos = startNanos;
    }

    /**
     * The hub of most benchmarks: pool {@code bench} (preset PREMIUM, {@code poolExtra} lines such
     * as {@code blocks: ...}) with one key of {@code requests 1e9 per 1m}, whose secret is a fresh
     * random value passed in an environment variable; config written into {@code dir}.
     */
    static HubLaunch oneKeyPool(Path jar, List<String> jvmOpts, io.quotahub.testkit.NatsServer nats, Path dir,
                                String poolExtra) throws Exception {
        Path config = Files.writeString(dir.resolve("hub.yml"), """
                quotahub:
                  hub-id: main
                  nats-url: %s
                  nats:
                    user-password-file: %s
                  pools:
                    bench:
                      preset: PREMIUM
                %s      keys:
                        - id: k1
                          secret-env: BENCH_KEY_1
                          limits:
                            - { requests: 1000000000, per: 1m }
                """.formatted(nats.url(), nats.hubCredentials(), poolExtra.isEmpty() ? "" : "      " + poolExtra + "\n"));
        byte[] secret = new byte[24];
        new java.security.SecureRandom().nextBytes(secret);
        return start(jar, jvmOpts, config, Map.of("BENCH_KEY_1", "sk-bench-" + java.util.HexFormat.of().formatHex(secret)),
                Duration.ofSeconds(120));
    }

    static HubLaunch start(Path jar, List<String> jvmOpts, Path config, Map<String, String> env, Duration readyWithin)
            throws IOException {
        int port = FreePorts.next();
        Path log = Files.createTempFile("qh-bench-hub-", ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOpts);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("MICRONAUT_CONFIG_FILES", config.toString());
        pb.environment().put("MICRONAUT_SERVER_PORT", Integer.toString(port));
        long t0 = System.nanoTime();
        HubLaunch hub = new HubLaunch(pb.start(), port, log, t0);
        Thread hook = new Thread(hub::close);
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            hub.awaitReady(readyWithin);
        } catch (RuntimeException e) {
            hub.close();
            throw e;
        }
        return hub;
    }

    private void awaitReady(Duration within) {
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/readiness"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = startNanos + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("hub exited with " + process.exitValue() + "; its log:\n" + tail(60));
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    readyNanos = System.nanoTime();
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            BenchHubs.sleep(20);
        }
        throw new IllegalStateException("hub not ready within " + within + "; its log:\n" + tail(60));
    }

    /** Seconds from process start to readiness 200. */
    double startSeconds() {
        return (readyNanos - startNanos) / 1e9;
    }

    long pid() {
        return process.pid();
    }

    String get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {replayed events, replay ms} from the hub's "ready" log line, or null. */
    long[] replayed() {
        Matcher m = REPLAYED.matcher(logText());
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }

    /** Snapshots the hub logged as written so far. */
    int snapshotsWritten() {
        String text = logText();
        int n = 0;
        for (int i = text.indexOf("snapshot written"); i >= 0; i = text.indexOf("snapshot written", i + 1)) {
            n++;
        }
        return n;
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    String tail(int lines) {
        List<String> all = List.of(logText().split("\n"));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    // ---- /proc -------------------------------------------------------------------------------

    /** VmRSS of a process in KiB, or -1. */
    static long rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /** user + system CPU time of a process in ns (from /proc/pid/stat, USER_HZ 100), or -1. */
    static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Number of threads of a process, or -1. */
    static long threads(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("Threads:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    void deleteLog() {
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // harmless
        }
    }
}
