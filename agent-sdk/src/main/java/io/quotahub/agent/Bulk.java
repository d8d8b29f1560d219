package io.quotahub.agent;

import io.quotahub.agent.internal.BulkRunner;

import java.time.Duration;
import java.util.Collection;
import java.util.Iterator;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Runs one provider call per item with at most {@link #maxInFlight(int)} leases in flight, paced by
 * the hub: an item starts when its lease is granted, so the work goes exactly as fast as the pool's
 * real limits allow (a refusal's retry-after is waited as in {@link QuotaClient#acquire}), with no
 * fixed sleeps. Each call goes through {@link QuotaClient#callAsync}, so its lease is settled with
 * what the provider answered. Made by {@link QuotaClient#bulk(String, Iterable)}; set it up, then
 * {@link #run(BulkCall)} or {@link #start(BulkCall)}. Not thread-safe while being set up.
 *
 * @param <I> the items' type
 */
public final class Bulk<I> {

    /** Default of {@link #maxInFlight(int)}. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 4;
    /** Default of {@link #maxWait(Duration)}. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofMinutes(1);

    private final QuotaClient client;
    private final String pool;
    private final Iterator<? extends I> source;
    private final long total;
    private ToLongFunction<? super I> tokens = item -> 1;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private Duration maxWait = DEFAULT_MAX_WAIT;
    private RetryOptions retries = RetryOptions.none();
    private int stopAfterFailures = 0;
    private Consumer<? super BulkProgress> onProgress = p -> { };
    private boolean started;

    Bulk(QuotaClient client, String pool, Iterable<? extends I> items) {
        this.client = Objects.requireNonNull(client, "client");
        if (pool == null || pool.isBlank()) {
            throw new IllegalArgumentException("pool must be non-blank");
        }
        this.pool = pool;
        Objects.requireNonNull(items, "items");
        this.total = items instanceof Collection<?> c ? c.size() : -1;
        this.source = Objects.requireNonNull(items.iterator(), "items.iterator()");
    }

    /**
     * The estimated tokens of each item's call (default 1); called once per item, when it starts.
     *
     * @param estimate the estimate of an item, {@code > 0}; an item it refuses (throws, or not positive) fails
     * @return this
     * @throws NullPointerException if {@code estimate} is null
     */
    public Bulk<I> tokens(ToLongFunction<? super I> estimate) {
        this.tokens = Objects.requireNonNull(estimate, "tokens");
        return this;
    }

    /**
     * How many items may hold or wait for a lease at once (default {@value #DEFAULT_MAX_IN_FLIGHT}).
     * Also bounds memory: at most {@code 4 × maxInFlight} items are taken from the source ahead of
     * the first one not yet reported.
     *
     * @param n between 1 and 256
     * @return this
     * @throws IllegalArgumentException if {@code n} is out of range
     */
    public Bulk<I> maxInFlight(int n) {
        if (n < 1 || n > 256) {
            throw new IllegalArgumentException("maxInFlight must be between 1 and 256, was " + n);
        }
        this.maxInFlight = n;
        return this;
    }

    /**
     * How long each item waits for its lease (default 1 min); an item that gets none fails with
     * {@link QuotaExhaustedException}.
     *
     * @param wait not negative
     * @return this
     * @throws IllegalArgumentException if {@code wait} is null or negative
     */
    public Bulk<I> maxWait(Duration wait) {
        if (wait == null || wait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be zero or positive, was " + wait);
        }
        this.maxWait = wait;
        return this;
    }

    /**
     * Retries of each item's transient failures (default none), as {@link QuotaClient#call(String,
     * long, Duration, RetryOptions, ProviderCall)}.
     *
     * @param options the retries
     * @return this
     * @throws NullPointerException if {@code options} is null
     */
    public Bulk<I> retries(RetryOptions options) {
        this.retries = Objects.requireNonNull(options, "retries");
        return this;
    }

    /**
     * Stops taking items once {@code n} have failed (default 0: never stop, every item is tried).
     * The run then ends {@link BulkResult.Stop#TOO_MANY_FAILURES}.
     *
     * @param n 1 or more, or 0 to continue whatever fails
     * @return this
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public Bulk<I> stopAfterFailures(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("stopAfterFailures must be 0 (never) or positive, was " + n);
        }
        this.stopAfterFailures = n;
        return this;
    }

    /**
     * Called after each item ends, one call at a time, on a client thread: keep it short. What it
     * throws is logged and ignored.
     *
     * @param listener the progress listener
     * @return this
     * @throws NullPointerException if {@code listener} is null
     */
    public Bulk<I> onProgress(Consumer<? super BulkProgress> listener) {
        this.onProgress = Objects.requireNonNull(listener, "onProgress");
        return this;
    }

    /**
     * Processes every item and waits for the end; the result lists every item taken, in input order.
     *
     * @param body the call per item, run on one of {@code maxInFlight} threads of the run's own
     * @param <R>  what one call returns
     * @return the result
     * @throws NullPointerException if {@code body} is null
     * @throws IllegalStateException if this {@code Bulk} was already started
     * @throws QuotaHubException    with code {@code INTERRUPTED} if the thread was interrupted
     *                              (the run is cancelled)
     */
    public <R> BulkResult<I, R> run(BulkCall<? super I, ? extends R> body) {
        BulkRun<I, R> run = start(body);
        try {
            return run.await();
        } catch (QuotaHubException e) {
            run.cancel();
            throw e;
        }
    }

    /**
     * Starts processing and returns at once; the result lists every item taken, in input order.
     *
     * @param body the call per item
     * @param <R>  what one call returns
     * @return the run: its progress, its result, cancel
     * @throws NullPointerException if {@code body} is null
     * @throws IllegalStateException if this {@code Bulk} was already started
     */
    public <R> BulkRun<I, R> start(BulkCall<? super I, ? extends R> body) {
        return BulkRunner.start(this.<R>settings(body), null);
    }

    /**
     * Starts processing and hands each item's result to {@code sink} in input order, keeping none
     * (the final result's {@code items} is empty): for sources too large to hold every result.
     *
     * @param body the call per item
     * @param sink receives each result, one call at a time, in input order; what it throws is logged and ignored
     * @param <R>  what one call returns
     * @return the run
     * @throws NullPointerException if {@code body} or {@code sink} is null
     * @throws IllegalStateException if this {@code Bulk} was already started
     */
    public <R> BulkRun<I, R> start(BulkCall<? super I, ? extends R> body, Consumer<? super BulkItem<I, R>> sink) {
        return BulkRunner.start(this.<R>settings(body), Objects.requireNonNull(sink, "sink"));
    }

    private <R> BulkRunner.Settings<I, R> settings(BulkCall<? super I, ? extends R> body) {
        Objects.requireNonNull(body, "body");
        if (started) {
            throw new IllegalStateException("this Bulk was already started: its source is being consumed; make a new one with QuotaClient.bulk");
        }
        started = true;
        return new BulkRunner.Settings<>(client, pool, source, total, tokens, maxInFlight, maxWait, retries,
                stopAfterFailures, onProgress, body);
    }
}
