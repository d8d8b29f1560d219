package io.quotahub.agent.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The client's single logical thread: runs its tasks one at a time, in order, on the thread that
 * submits one while none is running (the caller of {@code acquire}, the jnats thread that received a
 * reply, the timer thread), instead of handing each to a thread of its own and waking it. Tasks
 * submitted while one runs are queued and run by that same drain. Every task therefore sees the
 * effects of the ones before it (the flag is an atomic), which is all the confinement the state
 * machines, {@link AcquireSlots} and {@link InFlightRequests} need.
 *
 * <p>Why: each acquire + settle used to cross to the client's scheduler thread four times (start,
 * reply, start, reply), each a queue hand-off and, at moderate rates, a thread wake-up: at 2 000
 * acquires/s they were half of the SDK's CPU above raw jnats (docs/benchmarks.md, "The SDK's own CPU"). A drain that has run
 * {@link #MAX_INLINE} tasks with more waiting hands the rest to {@code overflow} (the scheduler),
 * so that no caller or jnats thread is kept working for other requests for long.
 */
final class SerialExecutor implements Executor {

    static final int MAX_INLINE = 64;

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final Executor overflow;

    SerialExecutor(Executor overflow) {
        this.overflow = overflow;
    }

    @Override
    public void execute(Runnable task) {
        queue.add(task);
        drain();
    }

    private void drain() {
        while (!queue.isEmpty() && running.compareAndSet(false, true)) {
            boolean handOff = false;
            try {
                int budget = MAX_INLINE;
                for (Runnable t = queue.poll(); t != null; t = queue.poll()) {
                    t.run();
                    if (--budget == 0) {
                        handOff = true;
                        break;
                    }
                }
            } finally {
                running.set(false);
            }
            if (handOff && !queue.isEmpty()) {
                try {
                    overflow.execute(this::drain);
                    return;
                } catch (RejectedExecutionException terminated) {
                    // no scheduler any more: go on here
                }
            }
        }
    }
}
