package io.quotahub.hub.snapshot;

import io.quotahub.hub.ledger.BatchSource;
import io.quotahub.hub.ledger.StoredBatch;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Keeps the snapshot thread's bursts short: after each slice of work it rests, so that it uses at
 * most {@code share} of one core. Unpaced, a snapshot of a busy hub took a whole core for 0.6–6 s on
 * a 2-core machine, and the acquires answered meanwhile waited for it: in benchmark phases with a
 * snapshot the hub's p99 was 5–12 × the raw request + publish-ack floor, without one 1.4–2.5 ×
 * (docs/benchmarks.md section 4). A snapshot is not urgent; the live path is.
 */
final class Pacer {

    /** Sleeps for the given nanoseconds. */
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final double restPerWork;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private long sliceStart;

    /** @param share of one core the paced work may use, in (0, 1]; 1 never rests */
    Pacer(double share, LongSupplier nanoTime, Sleeper sleeper) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be in (0, 1], was " + share);
        }
        this.restPerWork = (1 - share) / share;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.sliceStart = nanoTime.getAsLong();
    }

    static Pacer sharing(double share) {
        return new Pacer(share, System::nanoTime, nanos -> TimeUnit.NANOSECONDS.sleep(nanos));
    }

    /** Called between units of work: rests once a slice of work is done. */
    void step() {
        long worked = nanoTime.getAsLong() - sliceStart;
        if (worked < SLICE_NANOS) {
            return;
        }
        long rest = (long) (worked * restPerWork);
        if (rest > 0) {
            try {
                sleeper.sleep(rest);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closing: finish unpaced, the caller checks the flag
            }
        }
        sliceStart = nanoTime.getAsLong();
    }

    /** {@code source} with a {@link #step} before each batch it hands out. */
    BatchSource pace(BatchSource source) {
        return new BatchSource() {
            @Override
            public StoredBatch peek() {
                return source.peek();
            }

            @Override
            public StoredBatch next() {
                step();
                return source.next();
            }
        };
    }
}
