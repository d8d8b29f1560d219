package io.quotahub.agent;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a bulk run stands. A value: each report is a consistent snapshot.
 *
 * @param total     items in the source, or -1 when unknown (an iterator or a stream)
 * @param succeeded items whose call returned
 * @param failed    items that failed (no lease within {@code maxWait}, the call threw, a hub error)
 * @param cancelled items taken from the source but not processed because the run stopped
 * @param inFlight  items waiting for a lease or being processed now
 * @param elapsed   time since the run started
 */
public record BulkProgress(long total, long succeeded, long failed, long cancelled, int inFlight, Duration elapsed) {

    /**
     * Items finished either way (succeeded, failed or cancelled).
     *
     * @return finished items
     */
    public long done() {
        return succeeded + failed + cancelled;
    }

    /**
     * Items finished per second since the start, 0 before the first one.
     *
     * @return the rate
     */
    public double ratePerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : done() / seconds;
    }

    /**
     * The time left at the rate so far; empty while the total or the rate is unknown.
     *
     * @return the estimated time to finish
     */
    public Optional<Duration> eta() {
        double rate = ratePerSecond();
        if (total < 0 || rate <= 0) {
            return Optional.empty();
        }
        long left = Math.max(0, total - done());
        return Optional.of(Duration.ofNanos((long) Math.ceil(left / rate * 1e9)));
    }

    @Override
    public String toString() {
        return done() + "/" + (total < 0 ? "?" : Long.toString(total)) + " done (" + succeeded + " ok, " + failed
                + " failed, " + cancelled + " cancelled), " + inFlight + " in flight, "
                + String.format(java.util.Locale.ROOT, "%.2f", ratePerSecond()) + "/s"
                + eta().map(d -> ", ETA " + d.toSeconds() + " s").orElse("");
    }
}
