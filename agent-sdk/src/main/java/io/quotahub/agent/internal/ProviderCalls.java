package io.quotahub.agent.internal;

import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.Lease;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code QuotaClient.call}: acquire, call the provider, read its answer, settle with what it said
 * and how long the call took; retry transient failures on fresh leases when asked. The timing is
 * the client's {@link Ticker}, the waits its {@link CallConfig.Pause}, their spread its {@link Jitter}.
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
    private record Attempt<T>(T result, ProviderReading reading, Throwable thrown) {
    }

    <T, E extends Exception> T call(String pool, long tokens, Duration maxWait, ResultReader<? super T> reader,
            RetryOptions retries, ProviderCall<T, E> body) throws E {
        java.util.Objects.requireNonNull(retries, "retries");
        java.util.Objects.requireNonNull(body, "body");
        Ticker ticker = client.config().ticker();
        long start = ticker.nanos();
        long deadline = start + retries.deadline().toNanos();
        Attempt<T> last = null;
        for (int attempt = 0; ; attempt++) {
            Duration wait = maxWait;
            if (attempt > 0) {
                long left = deadline - ticker.nanos();
                wait = maxWait.compareTo(Duration.ofNanos(left)) < 0 ? maxWait : Duration.ofNanos(left);
            }
            Lease lease;
            try {
                lease = client.acquire(pool, tokens, wait);
            } catch (QuotaExhaustedException | HubUnavailableException e) {
                if (last == null) {
                    throw e;
                }
                return finish(last); // no lease for a retry in time: the last answer stands
            }
            last = attempt((LeaseImpl) lease, reader, body);
            if (attempt >= retries.retries() || !isRetryable(last, retries)) {
                return finish(last);
            }
            long pause = client.retryPolicy().beforeCallRetry(attempt);
            if (ticker.nanos() + pause >= deadline) {
                return finish(last);
            }
            try {
                client.config().calls().pause().sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return finish(last);
            }
        }
    }

    private <T, E extends Exception> Attempt<T> attempt(LeaseImpl lease, ResultReader<? super T> reader,
            ProviderCall<T, E> body) {
        Ticker ticker = client.config().ticker();
        long before = ticker.nanos();
        T result;
        try {
            result = body.call(lease);
        } catch (Throwable thrown) {
            lease.callDuration(millisUp(ticker.nanos() - before));
            if (lease.isSettled()) {
                return new Attempt<>(null, null, thrown); // the body settled it before it threw
            }
            if (thrown instanceof InterruptedException) {
                lease.close(); // the caller gave up: not the key's failure
            } else {
                settleQuietly(lease, () -> lease.failed(thrown.getClass().getName())); // never the message
            }
            return new Attempt<>(null, null, thrown);
        }
        lease.callDuration(millisUp(ticker.nanos() - before));
        ProviderReading reading = read(lease, reader, result);
        if (lease.isSettled()) {
            return new Attempt<>(result, reading, null); // the body settled it itself
        }
        if (reading == null) {
            lease.close();
        } else {
            settleQuietly(lease, () -> lease.settle(reading));
        }
        return new Attempt<>(result, reading, null);
    }

    @SuppressWarnings("unchecked")
    private <T> ProviderReading read(LeaseImpl lease, ResultReader<? super T> reader, T result) {
        java.time.Instant receivedAt = client.config().clock().instant();
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

    /** A settle that a hub refused or nobody confirmed must not lose the provider's answer: logged. */
    private static void settleQuietly(LeaseImpl lease, Runnable settle) {
        try {
            settle.run();
        } catch (QuotaHubException e) {
            DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "lease " + lease.leaseId() + " of pool '"
                    + lease.pool() + "' could not be settled; the hub will expire it: " + e.getMessage());
        }
    }

    /** Transient: a 429 with a short enough (or no) retry-after, a 5xx, an I/O failure or a timeout. */
    static boolean isRetryable(ProviderReading reading, Throwable thrown, RetryOptions retries) {
        if (thrown != null) {
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

    private static boolean isRetryable(Attempt<?> attempt, RetryOptions retries) {
        return isRetryable(attempt.reading(), attempt.thrown(), retries);
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

    /** Whole milliseconds, rounded up: a call that was measured never reads as 0 ("not measured"). */
    static long millisUp(long nanos) {
        return nanos <= 0 ? 0 : (nanos - 1) / 1_000_000 + 1;
    }
}
