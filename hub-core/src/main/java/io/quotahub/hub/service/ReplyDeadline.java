package io.quotahub.hub.service;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Completes a reply with a fallback answer when the ledger has not confirmed it within a fixed
 * time. Every reply gets the same timeout, so deadlines come due in the order replies were
 * registered: one FIFO queue and a single timer serve them all. {@code completeOnTimeout} scheduled
 * and cancelled a JDK timer per reply instead, and at 10 000 acquires/s that timer queue's sift,
 * remove and lock took 15 % of the hub's CPU (JFR, docs/benchmarks.md section 4).
 */
final class ReplyDeadline {

    /** The timer never runs more often than this, however close the next deadline. */
    private static final long MIN_TIMER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private record Waiting<T>(long deadline, CompletableFuture<T> reply, T fallback) {
        void expire() {
            reply.complete(fallback); // no effect on a reply that is done
        }
    }

    private final long timeoutNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentLinkedQueue<Waiting<?>> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean timerSet = new AtomicBoolean();

    ReplyDeadline(Duration timeout) {
        this(timeout, System::nanoTime);
    }

    ReplyDeadline(Duration timeout, LongSupplier nanoTime) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("reply timeout must be positive, was " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
        this.nanoTime = nanoTime;
    }

    /** {@code reply} itself, completed with {@code fallback} if it is not done within the timeout. */
    <T> CompletableFuture<T> within(CompletableFuture<T> reply, T fallback) {
        if (!reply.isDone()) {
            waiting.add(new Waiting<>(nanoTime.getAsLong() + timeoutNanos, reply, fallback));
            armTimer(timeoutNanos);
        }
        return reply;
    }

    private void armTimer(long delayNanos) {
        if (timerSet.compareAndSet(false, true)) {
            CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS).execute(this::expireDue);
        }
    }

    /**
     * Drops the replies that are done and expires the ones due; re-arms for the oldest left. Runs on
     * the timer (one at a time); synchronized only so that a direct call cannot interleave with it.
     */
    synchronized void expireDue() {
        long now = nanoTime.getAsLong();
        for (Waiting<?> head = waiting.peek(); head != null && (head.reply.isDone() || head.deadline - now <= 0);
                head = waiting.peek()) {
            waiting.poll();
            head.expire();
        }
        timerSet.set(false);
        Waiting<?> oldest = waiting.peek(); // read after the flag: an add that saw the flag set is seen here
        if (oldest != null) {
            armTimer(Math.max(MIN_TIMER_NANOS, oldest.deadline - now));
        }
    }

    /** Replies registered and not yet dropped (tests). */
    int size() {
        return waiting.size();
    }
}
