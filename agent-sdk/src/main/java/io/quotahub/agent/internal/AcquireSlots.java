package io.quotahub.agent.internal;

import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * How many acquire requests one client keeps outstanding at the hubs: an AIMD limit driven by the
 * hubs' overload signal (an {@code OVERLOADED} refusal or a timeout), as TCP and Netflix's
 * concurrency-limits do. Past the limit an acquire waits here, in the client, within its own
 * {@code maxWait}, instead of adding to a hub's backlog: an open-loop load of twice a hub's capacity
 * otherwise turned into a storm of refused retries that left the hub less than half its capacity for
 * real work (docs/benchmarks.md section 4). Confined to the client's logical thread ({@link SerialExecutor}).
 */
final class AcquireSlots {

    /** Suggested wait when this client gives up waiting for a slot. */
    static final long RETRY_AFTER_MS = 100;
    static final int INITIAL_LIMIT = 256;
    static final int MIN_LIMIT = 4;
    static final int MAX_LIMIT = 4096;
    /** One decrease per this many ns: the refusals of one backlog are one signal, not hundreds. */
    static final long DECREASE_EVERY_NANOS = 100_000_000L;
    static final double DECREASE_FACTOR = 0.7;

    private static final Runnable[] NONE = new Runnable[0];
    private final LongSupplier nanoTime;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private double limit = INITIAL_LIMIT;
    private int inFlight;
    private long lastDecrease = Long.MIN_VALUE / 2;

    AcquireSlots(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Takes a slot if one is free and nobody waits; otherwise queues {@code wake}, which is handed
     * back by a later {@link #release} or {@link #giveBack} with a slot already taken for it.
     */
    boolean tryTake(Runnable wake) {
        if (inFlight < (int) limit && waiting.isEmpty()) {
            inFlight++;
            return true;
        }
        waiting.add(wake);
        return false;
    }

    /**
     * The request that held a slot was answered or failed; {@code overloaded}: the hub shed it or
     * it timed out. Returns the waiting acquires that now hold a slot, oldest first.
     */
    Runnable[] release(boolean overloaded) {
        if (overloaded) {
            long now = nanoTime.getAsLong();
            if (now - lastDecrease >= DECREASE_EVERY_NANOS) {
                limit = Math.max(MIN_LIMIT, limit * DECREASE_FACTOR);
                lastDecrease = now;
            }
        } else {
            limit = Math.min(MAX_LIMIT, limit + 1.0 / limit); // about +1 per limit answers
        }
        return giveBack();
    }

    /** A slot taken but not used for a request (the acquire ended or backs off). */
    Runnable[] giveBack() {
        inFlight--;
        int free = Math.min(waiting.size(), Math.max(0, (int) limit - inFlight));
        if (free == 0) {
            return NONE;
        }
        Runnable[] wake = new Runnable[free];
        for (int i = 0; i < free; i++) {
            wake[i] = waiting.poll();
        }
        inFlight += free;
        return wake;
    }

    int limit() {
        return (int) limit;
    }

    int inFlight() {
        return inFlight;
    }

    int waiting() {
        return waiting.size();
    }
}
