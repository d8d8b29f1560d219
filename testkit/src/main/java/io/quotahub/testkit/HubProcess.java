package io.quotahub.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * A hub started from its runnable jar as a separate JVM ({@code java -jar hub-main.jar}), the way
 * users run it: configuration in a file named by {@code MICRONAUT_CONFIG_FILES}, secrets in the
 * environment — never on the command line. Used by the jars' own tests, the chaos suite and benchmarks.
 */
public final class HubProcess implements AutoCloseable {

    private final Process process;
    private final int httpPort;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile String bearer;

    private HubProcess(Process process, int httpPort, Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
    }

    /**
     * Starts {@code jar} with the given configuration file and environment (secrets), on a free
     * HTTP port, and waits until {@code /health/readiness} answers 200.
     */
    public static HubProcess start(Path jar, Path configFile, Map<String, String> env, Duration readyWithin) {
        return start(jar, configFile, env, readyWithin, FreePorts.next());
    }

    /**
     * As {@link #start(Path, Path, Map, Duration)}, on the given HTTP port (e.g. a restarted hub's
     * old one, as a service restarted on its machine keeps its address).
     */
    public static HubProcess start(Path jar, Path configFile, Map<String, String> env, Duration readyWithin, int port) {
        try {
            Path logFile = Files.createTempFile("qh-hub-", ".log");
            List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar.toString()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            pb.environment().putAll(env);
            pb.environment().put("MICRONAUT_CONFIG_FILES", configFile.toString());
            pb.environment().put("MICRONAUT_SERVER_PORT", Integer.toString(port));
            HubProcess hub = new HubProcess(pb.start(), port, logFile);
            hub.awaitReady(readyWithin);
            return hub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public void awaitReady(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("hub exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                if (get("/health/readiness").statusCode() == 200) {
                    return;
                }
            } catch (UncheckedIOException notYet) {
                // not listening yet
            }
            sleep(100);
        }
        throw new IllegalStateException("hub not ready within " + within + ":\n" + log());
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    public int httpPort() {
        return httpPort;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** From now on {@link #get} and {@link #post} send this token (a hub with {@code quotahub.security.tokens}). */
    public HubProcess useToken(String token) {
        this.bearer = token;
        return this;
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET());
    }

    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        String token = bearer;
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Everything the hub printed so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The process's command line as the OS shows it to every user ({@code ps}). */
    public String commandLine() {
        try {
            return Files.readString(Path.of("/proc/" + process.pid() + "/cmdline")).replace('\0', ' ');
        } catch (IOException e) {
            return process.info().commandLine().orElse("");
        }
    }

    /** The process (its handle knows its start time, so a reused PID is not mistaken for it). */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** {@code kill -9} of the hub and anything it spawned, waiting until they are gone. */
    public void kill() {
        Signals.killTree(process.toHandle());
    }

    /** SIGSTOP: the process hangs with its connections open (like a long GC pause). */
    public void pause() {
        Signals.stop(process.toHandle());
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        Signals.cont(process.toHandle());
    }

    /** SIGTERM (SIGKILL after 10 s) of the hub and anything it spawned, waiting until they are gone. */
    @Override
    public void close() {
        Signals.stopTree(process.toHandle(), Duration.ofSeconds(10));
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
