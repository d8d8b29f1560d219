package io.quotahub.hub.replication;

import io.quotahub.testing.ManualClock;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The event trace of one run. Off in bulk runs (formatting costs); a failing seed is re-run with it
 * on, and a single-seed run ({@code -Dqh.sim.seed=N}) prints it whole.
 */
final class SimTrace {

    private final ManualClock clock;
    private final long startMillis;
    private final boolean on;
    private final int keep;
    private final Deque<String> lines = new ArrayDeque<>();

    SimTrace(ManualClock clock, boolean on, int keep) {
        this.clock = clock;
        this.startMillis = clock.millis();
        this.on = on;
        this.keep = keep;
    }

    boolean on() {
        return on;
    }

    void log(String who, String format, Object... args) {
        if (!on) {
            return;
        }
        long t = clock.millis() - startMillis;
        lines.add(String.format("%4d.%03d %-5s %s", t / 1000, t % 1000, who, String.format(format, args)));
        if (keep > 0 && lines.size() > keep) {
            lines.removeFirst();
        }
    }

    /** Seconds since the start of the run, for messages. */
    String time() {
        long t = clock.millis() - startMillis;
        return String.format("%d.%03d s", t / 1000, t % 1000);
    }

    String dump() {
        return String.join("\n", lines);
    }
}
