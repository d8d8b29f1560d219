package io.quotahub.agent.internal;

import io.quotahub.agent.AsyncProviderCall;
import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.ProviderCall;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.agent.RetryOptions;
import io.quotahub.agent.provider.ProviderOutcome;
import io.quotahub.agent.provider.ProviderReading;
import io.quotahub.agent.provider.ResultReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code QuotaClient.call} and {@code callAsync}: acquire, call the provider, read its answer, settle
 * with what it said and how long the call took; retry transient failures on fresh leases when asked.
 * Both share one attempt ({@link #conclude}) and one retry decision ({@link #pauseBeforeRetry});
 * the timing is the client's {@link Ticker}, the waits its {@link CallConfig.Pause}, their spread
 * its {@link Jitter}.
 */
final class ProviderCalls {

    /** Waits before retries 1, 2, 3, 4 and later: 1 s, 2 s, 4 s, 8 s (each spread up to half again). */
    static final long FIRST_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int MAX_BACKOFF_DOUBLINGS = 3;

    private final DefaultQuotaClient client;
    private final Set<String> warnedUnreadable = ConcurrentHashMap.newKeySet();

    ProviderCalls(DefaultQuotaClient client) {
        this.client = client;
    }

    /** How one attempt ended: what the body returned (and what it said) or threw. */
    record Attempt<T>(T result, ProviderReading reading, Throwable thrown) {
    }

    /** A call's fixed parts. */
    private record Call<T>(String pool, long tokens, Duration maxWait, ResultReader<? super T> reader,
            RetryOptions retries, long deadline) {
    }

    // ---- blocking

    <T, E extends Exception> T call(String pool, long tokens, Duration maxWait, ResultReader<? super T> reader,
            RetryOptions retries, ProviderCall<T, E> body) throws E {
        Objects.requireNonNull(body, "body");
        Call<T> call = start(pool, tokens, maxWait, reader, retries);
        Attempt<T> last = null;
        for (int attempt = 0; ; attempt++) {
            LeaseImpl lease;
            try {
                lease = (LeaseImpl) client.acquire(pool, tokens, acquireWait(call, attempt));
            } catch (QuotaExhaustedException | HubUnavailableException e) {
                if (last == null) {
                    throw e;
                }
                return finish(last); // no lease for a retry in time: the last answer stands
            }
            long before = ticker().nanos();
            T result = null;
            Throwable thrown = null;
            try {
                result = body.call(lease);
            } catch (Throwable t) {
                thrown = t;
            }
            CompletableFuture<Attempt<T>> concluded = conclude(call, lease, result, thrown, ticker().nanos() - before, true);
            last = concluded.join(); // never fails: a failed settle is logged
            long pause = pauseBeforeRetry(call, last, attempt);
            if (pause < 0) {
                return finish(last);
            }
            try {
                client.config().calls().pause().after(pause).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return finish(last);
            } catch (ExecutionException e) {
                return finish(last);
            }
        }
    }

    // ---- asynchronous

    <T> CompletableFuture<T> callAsync(String pool, long tokens, Duration maxWait, ResultReader<? super T> reader,
            RetryOptions retries, AsyncProviderCall<T> body) {
        Objects.requireNonNull(body, "body");
        Call<T> call = start(pool, tokens, maxWait, reader, retries);
        CompletableFuture<T> result = new CompletableFuture<>();
        attemptAsync(call, body, 0, null, result);
        return result;
    }

    private <T> void attemptAsync(Call<T> call, AsyncProviderCall<T> body, int attempt, Attempt<T> last,
            CompletableFuture<T> result) {
        CompletableFuture<io.quotahub.agent.Lease> acquired;
        try {
            acquired = client.acquireAsync(call.pool(), call.tokens(), acquireWait(call, attempt));
        } catch (RuntimeException e) {
            complete(result, last != null ? last : new Attempt<>(null, null, e));
            return;
        }
        acquired.whenComplete((l, acquireError) -> {
            if (acquireError != null) {
                complete(result, last != null ? last : new Attempt<>(null, null, unwrap(acquireError)));
                return;
            }
            LeaseImpl lease = (LeaseImpl) l;
            long before = ticker().nanos();
            CompletableFuture<T> answer;
            try {
                answer = Objects.requireNonNull(body.call(lease), "callAsync's body returned null instead of a future");
            } catch (Throwable t) {
                answer = CompletableFuture.failedFuture(t);
            }
            answer.handle((r, t) -> conclude(call, lease, r, t == null ? null : unwrap(t), ticker().nanos() - before, false))
                    .thenCompose(f -> f)
                    .thenAccept(done -> {
                        long pause = pauseBeforeRetry(call, done, attempt);
                        if (pause < 0) {
                            complete(result, done);
                            return;
                        }
                        client.config().calls().pause().after(pause).whenComplete((v, e) -> {
                            if (e != null) {
                                complete(result, done);
                            } else {
                                attemptAsync(call, body, attempt + 1, done, result);
                            }
                        });
                    });
        });
    }

    private static <T> void complete(CompletableFuture<T> result, Attempt<T> last) {
        if (last.thrown() == null) {
            result.complete(last.result());
        } else {
            result.completeExceptionally(last.thrown());
        }
    }

    // ---- shared

    private <T> Call<T> start(String pool, long tokens, Duration maxWait, ResultReader<? super T> reader,
            RetryOptions retries) {
        Objects.requireNonNull(retries, "retries");
        return new Call<>(pool, tokens, maxWait, reader, retries, ticker().nanos() + retries.deadline().toNanos());
    }

    private Ticker ticker() {
        return client.config().ticker();
    }

    /** The first acquire waits {@code maxWait}; a retry's no longer than the deadline leaves. */
    private Duration acquireWait(Call<?> call, int attempt) {
        if (attempt == 0) {
            return call.maxWait();
        }
        Duration left = Duration.ofNanos(Math.max(0, call.deadline() - ticker().nanos()));
        return call.maxWait().compareTo(left) < 0 ? call.maxWait() : left;
    }

    /**
     * Measures, reads and settles one attempt: a reading settles as the adapter read it, an
     * exception {@code failed} with its class name (never its message, which may echo the key), an
     * interruption or an unreadable result {@code UNKNOWN}. The future never fails: a settle that
     * fails is logged, and the provider's answer stands.
     */
    private <T> CompletableFuture<Attempt<T>> conclude(Call<T> call, LeaseImpl lease, T result, Throwable thrown,
            long elapsedNanos, boolean callerWaits) {
        lease.callDuration(millisUp(elapsedNanos));
        ProviderReading reading = null;
        CompletableFuture<Void> settle;
        try {
            if (thrown == null) {
                reading = read(lease, call.reader(), result);
            } else if (call.reader() != null && !(thrown instanceof InterruptedException)) {
                reading = call.reader().readFailure(thrown, client.config().clock().instant()).orElse(null);
            }
        } catch (RuntimeException readerFailed) { // a reader of the caller's: the call's outcome is unknown
            DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "the ResultReader of a call on pool '"
                    + lease.pool() + "' threw " + readerFailed.getClass().getName() + ": the lease is settled UNKNOWN");
        }
        if (lease.isSettled()) {
            settle = CompletableFuture.completedFuture(null); // the body settled it itself
        } else if (thrown instanceof InterruptedException) {
            settle = nullIfAbsent(lease.settleOnClose()); // the caller gave up: not the key's failure, nor its success
        } else if (reading != null) {
            settle = lease.settleAsync(reading, callerWaits);
        } else if (thrown != null) {
            settle = lease.failAsync(thrown.getClass().getName(), callerWaits);
        } else {
            settle = nullIfAbsent(lease.settleOnClose()); // an unreadable result: not the key's failure, nor its success
        }
        Attempt<T> attempt = new Attempt<>(thrown == null ? result : null, reading, thrown);
        return settle.handle((v, e) -> {
            if (e != null) {
                Throwable cause = unwrap(e);
                DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "lease " + lease.leaseId() + " of pool '"
                        + lease.pool() + "' could not be settled; the hub will expire it: "
                        + (cause instanceof QuotaHubException ? cause.getMessage() : cause.getClass().getName()));
            }
            return attempt;
        });
    }

    private static CompletableFuture<Void> nullIfAbsent(CompletableFuture<Void> f) {
        return f != null ? f : CompletableFuture.completedFuture(null);
    }

    private <T> ProviderReading read(LeaseImpl lease, ResultReader<? super T> reader, T result) {
        Instant receivedAt = client.config().clock().instant();
        if (reader != null) {
            return reader.read(result, receivedAt);
        }
        if (result instanceof HttpResponse<?> response) {
            return client.config().calls().adapterOf(lease.pool()).forHttpResponses().read(response, receivedAt);
        }
        String type = result == null ? "null" : result.getClass().getName();
        if (warnedUnreadable.add(lease.pool() + "/" + type)) {
            DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "QuotaClient.call on pool '" + lease.pool()
                    + "' returned a " + type + ", which the pool's adapter cannot read (it reads java.net.http"
                    + " responses): the lease is settled UNKNOWN; pass a ResultReader to call()");
        }
        return null;
    }

    /** The wait before the next attempt, or -1 to stop: no retry left, not transient, or past the deadline. */
    private long pauseBeforeRetry(Call<?> call, Attempt<?> last, int attempt) {
        if (attempt >= call.retries().retries() || !isRetryable(last.reading(), last.thrown(), call.retries())) {
            return -1;
        }
        long pause = client.retryPolicy().beforeCallRetry(attempt);
        return ticker().nanos() + pause >= call.deadline() ? -1 : pause;
    }

    /** Transient: a 429 with a short enough (or no) retry-after, a 5xx, an I/O failure or a timeout. */
    static boolean isRetryable(ProviderReading reading, Throwable thrown, RetryOptions retries) {
        if (thrown != null && reading == null) {
            return thrown instanceof IOException || thrown instanceof UncheckedIOException
                    || thrown instanceof TimeoutException;
        }
        if (reading == null) {
            return false;
        }
        if (reading.outcome() == ProviderOutcome.RATE_LIMITED) {
            return reading.retryAfter().map(d -> d.compareTo(retries.maxRetryAfter()) <= 0).orElse(true);
        }
        return reading.outcome() == ProviderOutcome.ERROR && reading.transientError();
    }

    @SuppressWarnings("unchecked")
    private static <T, E extends Exception> T finish(Attempt<T> last) throws E {
        Throwable thrown = last.thrown();
        if (thrown == null) {
            return last.result();
        }
        if (thrown instanceof RuntimeException r) {
            throw r;
        }
        if (thrown instanceof Error e) {
            throw e;
        }
        throw (E) thrown; // the body's checked exception: an E by its signature
    }

    private static Throwable unwrap(Throwable t) {
        return (t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null
                ? t.getCause() : t;
    }

    /** Whole milliseconds, rounded up: a call that was measured never reads as 0 ("not measured"). */
    static long millisUp(long nanos) {
        return nanos <= 0 ? 0 : (nanos - 1) / 1_000_000 + 1;
    }
}
