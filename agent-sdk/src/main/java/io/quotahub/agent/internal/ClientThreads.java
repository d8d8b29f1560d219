package io.quotahub.agent.internal;

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

    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
