package io.quotahub.agent.internal;

import io.nats.client.Connection;
import io.nats.client.Message;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One NATS request with a precise timeout (jnats only cleans timed-out requests every few seconds). */
final class Requests {

    private Requests() {
    }

    static CompletableFuture<Message> request(Connection connection, String subject, byte[] body, Duration timeout,
            ScheduledExecutorService scheduler) {
        CompletableFuture<Message> reply;
        try {
            reply = connection.request(subject, body);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        ScheduledFuture<?> timer = scheduler.schedule(
                () -> reply.completeExceptionally(new TimeoutException("no reply on " + subject + " within " + timeout)),
                timeout.toNanos(), TimeUnit.NANOSECONDS);
        reply.whenComplete((m, e) -> timer.cancel(false));
        return reply;
    }

    static ClientMetrics.RouteFailure classify(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof TimeoutException) {
            return ClientMetrics.RouteFailure.TIMEOUT;
        }
        // jnats cancels a request answered by the server's 503 "no responders" status (or, when
        // the connection reports them, fails it with a JetStreamStatusException naming 503)
        if (e instanceof CancellationException || String.valueOf(e.getMessage()).contains("503")) {
            return ClientMetrics.RouteFailure.NO_RESPONDERS;
        }
        return ClientMetrics.RouteFailure.CONNECTION;
    }
}
