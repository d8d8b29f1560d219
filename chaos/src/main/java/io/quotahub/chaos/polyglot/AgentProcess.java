package io.quotahub.chaos.polyglot;

import io.quotahub.chaos.suite.Recorder;
import io.quotahub.testkit.Signals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One agent running as its own process (a Node or Python agent script): every line it prints on
 * stdout is an {@link AgentEvent} that goes into the {@link Recorder} as it arrives; what it
 * prints on stderr goes to the suite's log (the first lines, then only a count). It runs while its
 * stdin is open: {@link #stop} closes stdin, waits for the agent to report and exit, and kills it
 * when it does not. Should the suite's JVM die, the closed pipe stops the agent too.
 */
public final class AgentProcess implements AutoCloseable {

    private static final int STDERR_LINES_LOGGED = 20;

    private final String agent;
    private final Process process;
    private final Recorder rec;
    private final Consumer<String> log;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final List<String> problems = new ArrayList<>();
    private final AtomicInteger stderrLines = new AtomicInteger();
    private final AtomicInteger events = new AtomicInteger();
    private final Thread stdout;
    private final Thread stderr;
    private volatile String runtime = "";
    private volatile boolean stopped;

    private AgentProcess(String agent, Process process, Recorder rec, Consumer<String> log) {
        this.agent = agent;
        this.process = process;
        this.rec = rec;
        this.log = log;
        this.stdout = reader("stdout", process.getInputStream(), this::onLine);
        this.stderr = reader("stderr", process.getErrorStream(), this::onStderr);
    }

    /**
     * Starts {@code command} in {@code dir} with {@code env} added to this JVM's environment.
     *
     * @throws UncheckedIOException if the process cannot be started
     */
    public static AgentProcess start(String agent, List<String> command, Map<String, String> env, Path dir, Recorder rec,
            Consumer<String> log) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        try {
            return new AgentProcess(agent, pb.start(), rec, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + agent + ": " + String.join(" ", command), e);
        }
    }

    public String agent() {
        return agent;
    }

    /** What the agent said it runs on, e.g. {@code node v20.20.2} (empty before it is ready). */
    public String runtime() {
        return runtime;
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** How many events it reported. */
    public int events() {
        return events.get();
    }

    /** Whether it said it is ready within {@code timeout} (false at once when it exited). */
    public boolean awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (ready.await(50, TimeUnit.MILLISECONDS)) {
                    return true;
                }
                if (!process.isAlive()) {
                    return ready.getCount() == 0;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ready.getCount() == 0;
    }

    /**
     * Lines it printed that were not events, and how it ended when that was not well (an exit
     * status other than 0, no "stopped" report, killed after the grace).
     */
    public synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /** Closes its stdin: the agent stops asking, reports a want it could not meet, and exits. */
    public void endInput() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // it died already
        }
    }

    /** {@link #endInput} and waits up to {@code grace} for it to report and exit; then kills its process tree. */
    public void stop(Duration grace) {
        endInput();
        boolean exited;
        try {
            exited = process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = false;
        }
        if (!exited) {
            problem("did not exit within " + grace.toMillis() + " ms of its stdin closing: killed");
            Signals.killTree(process.toHandle());
        }
        join(stdout);
        join(stderr);
        if (exited && process.exitValue() != 0) {
            problem("exited with status " + process.exitValue());
        } else if (exited && !stopped) {
            problem("exited without reporting \"stopped\"");
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop(Duration.ofSeconds(5));
        }
    }

    private void onLine(String line) {
        if (line.isBlank()) {
            return;
        }
        AgentEvent e;
        try {
            e = AgentLine.parse(line);
        } catch (IllegalArgumentException bad) {
            problem("printed a line that is not an event: " + bad.getMessage());
            return;
        }
        if (!e.agent().equals(agent)) {
            problem("reported an event as agent '" + e.agent() + "'");
            return;
        }
        events.incrementAndGet();
        e.recordIn(rec);
        if (e instanceof AgentEvent.Ready r) {
            runtime = r.runtime();
            ready.countDown();
        } else if (e instanceof AgentEvent.Stopped) {
            stopped = true;
        } else if (e instanceof AgentEvent.Missed m && m.miss().kind().equals("error")) {
            log.accept(agent + ": acquire error " + m.miss().code() + " " + m.message());
        }
    }

    private void onStderr(String line) {
        int n = stderrLines.incrementAndGet();
        if (n <= STDERR_LINES_LOGGED) {
            log.accept(agent + " (stderr): " + line);
        } else if (n == STDERR_LINES_LOGGED + 1) {
            log.accept(agent + " (stderr): … further lines are not logged");
        }
    }

    private synchronized void problem(String what) {
        problems.add(agent + " " + what);
    }

    private Thread reader(String name, InputStream in, Consumer<String> onLine) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    onLine.accept(line);
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "agent-" + agent + "-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void join(Thread t) {
        try {
            t.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
