package io.quotahub.chaos.observability;

import io.quotahub.testkit.FreePorts;
import io.quotahub.testkit.Signals;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

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
import java.util.function.IntFunction;

/**
 * One of the monitoring programs (Prometheus, a Pushgateway, Alertmanager) as a process on a free
 * loopback port, its output in a log file. {@link #start} returns once the program answers
 * {@code /-/ready}; {@link #close()} stops it (SIGTERM, then SIGKILL after 10 s).
 */
final class MonitoringProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;

    private MonitoringProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code binary} with the arguments {@code args} makes for a free port, and waits until
     * it is ready.
     *
     * @throws AssertionError when it exits or is not ready within {@code within} (its log's tail in the message)
     */
    static MonitoringProcess start(String name, Path binary, IntFunction<List<String>> args, Path logDir, Duration within) {
        return start(name, binary, FreePorts.next(), args, logDir, within);
    }

    /** As {@link #start(String, Path, IntFunction, Path, Duration)}, on a port chosen before (e.g. written into its configuration). */
    static MonitoringProcess start(String name, Path binary, int port, IntFunction<List<String>> args, Path logDir, Duration within) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args.apply(port));
        Path log = logDir.resolve(name + ".log");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
        MonitoringProcess started = new MonitoringProcess(name, process, port, log);
        System.out.printf("[monitoring] started %s (pid %d, 127.0.0.1:%d, log %s)%n", name, process.pid(), port, log);
        try {
            Awaitility.await(name + " ready").atMost(within).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError(name + " exited with " + process.exitValue() + "; its log:\n" + started.logTail());
                        }
                        return started.ready();
                    });
        } catch (ConditionTimeoutException e) {
            started.close();
            throw new AssertionError(name + " not ready on port " + port + " after " + within + "; its log:\n" + started.logTail(), e);
        } catch (RuntimeException | Error e) {
            started.close();
            throw e;
        }
        return started;
    }

    private boolean ready() {
        try {
            return get("/-/ready").statusCode() == 200;
        } catch (UncheckedIOException notYet) {
            return false;
        }
    }

    int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}. */
    String address() {
        return "127.0.0.1:" + port;
    }

    HttpResponse<String> get(String pathAndQuery) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + address() + pathAndQuery))
                .timeout(Duration.ofSeconds(5)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + pathAndQuery + " of " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The last 40 lines of the program's log. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            Signals.stopTree(process.toHandle(), Duration.ofSeconds(10));
        }
    }

    @Override
    public String toString() {
        return name + "@" + address();
    }
}
