package io.quotahub.agent.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Why a request to a hub failed. */
final class Requests {

    private Requests() {
    }

    /**
     * A new request id: a version-4 UUID, as {@code UUID.randomUUID()} makes, from
     * {@link java.util.concurrent.ThreadLocalRandom} instead of the shared {@code SecureRandom} (a
     * request id is no secret: hubs key it by the agent's NATS identity).
     */
    static String newId() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(msb, lsb).toString();
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
