package io.quotahub.bench;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One agent acquiring in a loop on its own thread, pausing between leases; records when each lease
 * came ({@code System.nanoTime()}) and from which hub. In {@code tryOnly} mode it makes single
 * attempts ({@code tryAcquire}) and counts refusals instead of waiting for room.
 */
final class AgentLoop implements AutoCloseable {

    record Got(long nanos, String hub) {
    }

    final List<Got> leases = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    final AtomicLong refused = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    AgentLoop(QuotaClient client, String pool, long pauseMillis, boolean tryOnly) {
        thread = new Thread(() -> {
            while (running.get()) {
                try {
                    if (tryOnly) {
                        var lease = client.tryAcquire(pool, 1);
                        if (lease.isPresent()) {
                            leases.add(new Got(System.nanoTime(), lease.get().hubId()));
                            lease.get().complete(1);
                        } else {
                            refused.incrementAndGet();
                        }
                    } else {
                        try (Lease lease = client.acquire(pool, 1, Duration.ofSeconds(5))) {
                            leases.add(new Got(System.nanoTime(), lease.hubId()));
                            lease.complete(1);
                        }
                    }
                } catch (QuotaExhaustedException full) {
                    refused.incrementAndGet();
                    pause(Math.min(full.retryAfter().toMillis(), 100));
                } catch (RuntimeException e) {
                    failures.add(e);
                }
                pause(pauseMillis);
            }
        }, "bench-agent-" + pool);
        thread.setDaemon(true);
        thread.start();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(Math.max(0, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean servedBy(String hub, long afterNanos) {
        for (int i = leases.size() - 1; i >= 0; i--) {
            Got g = leases.get(i);
            if (g.nanos < afterNanos) {
                return false;
            }
            if (g.hub.equals(hub)) {
                return true;
            }
        }
        return false;
    }

    /** The longest time between two successive leases within [from, to] (including from the last lease before {@code from}), ns. */
    long longestGapNanos(long from, long to) {
        long previous = Long.MIN_VALUE;
        long longest = 0;
        for (Got g : leases) {
            if (g.nanos < from) {
                previous = g.nanos;
                continue;
            }
            if (g.nanos > to) {
                break;
            }
            if (previous != Long.MIN_VALUE) {
                longest = Math.max(longest, g.nanos - previous);
            }
            previous = g.nanos;
        }
        return longest;
    }

    /** The first lease at or after {@code from} served by {@code hub}, or -1. */
    long firstFrom(String hub, long from) {
        for (Got g : leases) {
            if (g.nanos >= from && g.hub.equals(hub)) {
                return g.nanos;
            }
        }
        return -1;
    }

    long count() {
        return leases.size();
    }

    @Override
    public void close() {
        running.set(false);
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
