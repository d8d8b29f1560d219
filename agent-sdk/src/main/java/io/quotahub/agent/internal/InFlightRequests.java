package io.quotahub.agent.internal;

import io.nats.client.Connection;
import io.nats.client.Message;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The client's requests waiting for a reply, each with its deadline and the connection it went out
 * on; confined to the client's logical thread ({@link SerialExecutor}). jnats only sweeps timed-out requests every few
 * seconds, so the deadlines are kept here.
 *
 * <p>Nearly every request has the configured request timeout, so deadlines mostly arrive in send
 * order: those wait in a FIFO queue, the rest (shorter last attempts) in a heap, and one timer
 * serves both. A timer per request, scheduled and cancelled on a {@code ScheduledThreadPoolExecutor},
 * plus a concurrent map of requests in flight, were a quarter of the SDK's CPU at 10 000
 * acquires/s (JFR: the timer queue's sift and lock, the map's updates; docs/benchmarks.md section 4).
 */
final class InFlightRequests {

    /** Schedules {@link #expireDue} on the client's logical thread after a delay in nanoseconds. */
    interface Timer {
        void schedule(Runnable task, long delayNanos);
    }

    private record Waiting(long deadline, long timeoutNanos, String subject, Connection connection,
                           CompletableFuture<Message> reply) {
    }

    private final LongSupplier nanoTime;
    private final Timer timer;
    private final ArrayDeque<Waiting> inDeadlineOrder = new ArrayDeque<>();
    private final PriorityQueue<Waiting> others = new PriorityQueue<>(Comparator.comparingLong(Waiting::deadline));
    /** When the expected expiry runs; {@code Long.MAX_VALUE}: none scheduled. */
    private long timerAt = Long.MAX_VALUE;
    /** Which scheduled expiry is the expected one (an earlier one may still run, and then does nothing more). */
    private long timerGeneration;

    InFlightRequests(LongSupplier nanoTime, Timer timer) {
        this.nanoTime = nanoTime;
        this.timer = timer;
    }

    /**
     * Sends a request on {@code connection}; the reply fails with a {@link TimeoutException} after
     * {@code timeoutNanos}, or with an {@link IOException} if the connection is lost first.
     */
    CompletableFuture<Message> send(Connection connection, String subject, byte[] body, long timeoutNanos) {
        CompletableFuture<Message> reply;
        try {
            reply = connection.request(subject, body);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        long deadline = nanoTime.getAsLong() + timeoutNanos;
        Waiting w = new Waiting(deadline, timeoutNanos, subject, connection, reply);
        // replies come back about in send order: drop the answered ones at the head now, so the queue
        // holds about what is in flight rather than everything sent during one request timeout
        for (Waiting head = inDeadlineOrder.peek(); head != null && head.reply.isDone(); head = inDeadlineOrder.peek()) {
            inDeadlineOrder.poll();
        }
        Waiting last = inDeadlineOrder.peekLast();
        if (last == null || last.deadline - deadline <= 0) {
            inDeadlineOrder.add(w);
        } else {
            others.add(w);
        }
        if (deadline - timerAt < 0) {
            armTimer(deadline);
        }
        return reply;
    }

    private void armTimer(long at) {
        timerAt = at;
        long generation = ++timerGeneration;
        timer.schedule(() -> expireDue(generation), Math.max(0, at - nanoTime.getAsLong()));
    }

    /**
     * Fails the requests that are due and forgets the answered ones at the head of the queues;
     * the expected timer then arms the next one (a superseded timer arms one only if it is needed
     * sooner than the expected one).
     */
    void expireDue(long generation) {
        long now = nanoTime.getAsLong();
        expire(inDeadlineOrder, now);
        expire(others, now);
        long next = Long.MAX_VALUE;
        if (!inDeadlineOrder.isEmpty()) {
            next = inDeadlineOrder.peek().deadline;
        }
        if (!others.isEmpty() && (next == Long.MAX_VALUE || others.peek().deadline - next < 0)) {
            next = others.peek().deadline;
        }
        boolean expected = generation == timerGeneration;
        if (next == Long.MAX_VALUE) {
            if (expected) {
                timerAt = Long.MAX_VALUE;
            }
        } else if (expected || next - timerAt < 0) {
            armTimer(next);
        }
    }

    private static void expire(java.util.Queue<Waiting> queue, long now) {
        for (Waiting w = queue.peek(); w != null && (w.reply.isDone() || w.deadline - now <= 0); w = queue.peek()) {
            queue.poll();
            if (!w.reply.isDone()) {
                w.reply.completeExceptionally(new TimeoutException("no reply on " + w.subject + " within "
                        + w.timeoutNanos / 1_000_000 + " ms"));
            }
        }
    }

    /** The replies of requests sent on {@code connection} died with it: fails them now. */
    void connectionLost(Connection connection) {
        IOException lost = new IOException("NATS connection lost before the reply");
        for (Waiting w : inDeadlineOrder) {
            if (w.connection == connection) {
                w.reply.completeExceptionally(lost);
            }
        }
        for (Waiting w : others) {
            if (w.connection == connection) {
                w.reply.completeExceptionally(lost);
            }
        }
    }

    /** Requests kept (answered ones included until they reach the head): tests. */
    int size() {
        return inDeadlineOrder.size() + others.size();
    }
}
