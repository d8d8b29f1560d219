package io.quotahub.hub.service;

import io.quotahub.testing.ManualClock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/** A {@link WaitingAcquire.Timer} for tests: runs scheduled tasks as the manual clock passes their time. */
final class ManualTimer implements WaitingAcquire.Timer {

    private record Task(long dueMillis, Runnable run, CompletableFuture<Void> handle) {
    }

    private final List<Task> tasks = new ArrayList<>();
    private long now;
    boolean cancelled;

    @Override
    public synchronized Future<?> schedule(Runnable task, long delayMillis) {
        Task t = new Task(now + delayMillis, task, new CompletableFuture<>());
        tasks.add(t);
        return t.handle;
    }

    @Override
    public void stop() {
        cancelled = true;
    }

    synchronized int pending() {
        tasks.removeIf(t -> t.handle.isDone());
        return tasks.size();
    }

    /** Moves the clock in 10 ms steps, running each task when its time comes. */
    void advance(ManualClock clock, Duration by) {
        for (long step = 0; step < by.toMillis(); step += 10) {
            clock.advance(Duration.ofMillis(10));
            now += 10;
            List<Task> due;
            synchronized (this) {
                due = tasks.stream().filter(t -> t.dueMillis <= now && !t.handle.isDone()).toList();
                tasks.removeAll(due);
            }
            for (Task t : due) {
                t.handle.complete(null);
                t.run.run();
            }
        }
    }
}
