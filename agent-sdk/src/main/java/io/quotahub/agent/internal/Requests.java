package io.quotahub.agent.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Why a request to a hub failed. */
final class Requests {

    private Requests() {
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
