package io.quotahub.agent.internal;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The client's own threads: all daemons, named after the agent. */
final class ClientThreads {

    private ClientThreads() {
    }

    /**
     * The client's timer (request deadlines are one timer for all, in {@link InFlightRequests};
     * backoffs; heartbeats) and where a long {@link SerialExecutor} drain continues. A cancelled task
     * leaves the queue at once rather than slowing every later schedule.
     */
    static ScheduledExecutorService scheduler(String agentId) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, daemon("qh-agent-" + agentId));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Callback workers: enough for callbacks that wait briefly, few enough to stay warm. */
    static final int CALLBACK_THREADS = 8;

    /**
     * Where the asynchronous API's futures complete when the caller gave no executor. A fork/join pool
     * in FIFO mode: its idle workers look for work a moment before parking, so at a high rate a
     * completion is a queue push rather than a thread wake-up (a cached pool's {@code SynchronousQueue}
     * woke a thread for nearly every completion: 39 against 17 µs of client CPU per acquire + settle
     * at 256 in flight, docs/benchmarks.md). A callback that blocks holds a worker: blocking work
     * belongs on the caller's executor ({@code thenApplyAsync(fn, executor)} or
     * {@code QuotaClient.Builder.callbackExecutor}).
     */
    static ForkJoinPool callbacks(String agentId) {
        AtomicInteger n = new AtomicInteger();
        ForkJoinPool.ForkJoinWorkerThreadFactory factory = pool -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setDaemon(true);
            t.setName("qh-agent-callback-" + agentId + "-" + n.incrementAndGet());
            return t;
        };
        return new ForkJoinPool(CALLBACK_THREADS, factory, null, true);
    }

    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
