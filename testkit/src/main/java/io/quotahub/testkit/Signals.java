package io.quotahub.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Signals to processes the tests started: SIGSTOP/SIGCONT (which {@link Process} cannot send) and
 * a certain stop of a whole process tree.
 */
public final class Signals {

    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private Signals() {
    }

    /** SIGSTOP: the process hangs with its connections open (like a long GC pause). */
    public static void stop(ProcessHandle process) {
        send(process, "STOP");
    }

    /** SIGCONT after {@link #stop}. */
    public static void cont(ProcessHandle process) {
        send(process, "CONT");
    }

    private static void send(ProcessHandle process, String signal) {
        if (!process.isAlive()) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops {@code root} and everything it spawned: SIGCONT (a stopped process ignores SIGTERM),
     * SIGTERM, up to {@code grace} to exit, then SIGKILL of whatever is left, and waits for each.
     *
     * @return the processes of the tree still alive at the end (empty when the stop is certain)
     */
    public static List<ProcessHandle> stopTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.add(0, root);
        tree.forEach(Signals::cont);
        if (!grace.isZero()) {
            root.destroy();
            await(tree, grace);
        }
        // children first found after the TERM (e.g. spawned meanwhile) are killed too
        root.descendants().filter(p -> !tree.contains(p)).forEach(tree::add);
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        await(tree, KILL_WAIT);
        return tree.stream().filter(ProcessHandle::isAlive).toList();
    }

    /** {@code kill -9} of the tree, waiting until it is gone. */
    public static List<ProcessHandle> killTree(ProcessHandle root) {
        return stopTree(root, Duration.ZERO);
    }

    private static void await(List<ProcessHandle> processes, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        for (ProcessHandle p : processes) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                p.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
