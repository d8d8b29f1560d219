package io.quotahub.agent.internal;

import io.quotahub.agent.BulkCall;
import io.quotahub.agent.BulkItem;
import io.quotahub.agent.BulkProgress;
import io.quotahub.agent.BulkResult;
import io.quotahub.agent.BulkRun;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.agent.RetryOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Drives a bulk run ({@code Bulk}): keeps up to {@code maxInFlight} items in
 * {@link QuotaClient#callAsync}, starts the next item whenever one ends (so the hub's grants and
 * refusals set the pace, never a sleep), and reports results in input order through a reorder
 * buffer that the window {@code 4 × maxInFlight} bounds. Item bodies run on the run's own
 * {@code maxInFlight} daemon threads; no thread waits for a lease.
 */
public final class BulkRunner<I, R> implements BulkRun<I, R> {

    /** Items taken from the source ahead of the first not yet reported, per item in flight. */
    static final int WINDOW_PER_IN_FLIGHT = 4;

    /** What {@code Bulk} was set up with. */
    public record Settings<I, R>(QuotaClient client, String pool, Iterator<? extends I> source, long total,
            ToLongFunction<? super I> tokens, int maxInFlight, Duration maxWait, RetryOptions retries,
            int stopAfterFailures, Consumer<? super BulkProgress> onProgress, BulkCall<? super I, ? extends R> body) {
    }

    /** A lease granted after the run stopped: given back unused, the item is cancelled. */
    private static final class Stopped extends CancellationException {
        Stopped() {
            super("the bulk run stopped before this item's call started");
        }
    }

    private final Settings<I, R> s;
    private final Consumer<? super BulkItem<I, R>> sink;
    private final List<BulkItem<I, R>> collected;
    private final Ticker ticker;
    private final long startNanos;
    private final ExecutorService workers;
    private final int window;
    private final CompletableFuture<BulkResult<I, R>> result = new CompletableFuture<>();
    private final AtomicInteger pumpRequests = new AtomicInteger();

    private final Object lock = new Object();
    private final AtomicInteger deliverRequests = new AtomicInteger();
    private final Queue<BulkProgress> reports = new ConcurrentLinkedQueue<>(); // one per item ended, in order
    // guarded by lock
    private long nextIndex;
    private long nextToEmit;
    private final Map<Long, BulkItem<I, R>> finished = new HashMap<>();
    private int inFlight;
    private long succeeded;
    private long failed;
    private long cancelled;
    private boolean exhausted;
    private BulkResult.Stop stop;
    private Throwable sourceFailure;
    private volatile boolean stopping;

    private BulkRunner(Settings<I, R> settings, Consumer<? super BulkItem<I, R>> sink) {
        this.s = settings;
        this.collected = sink == null ? new ArrayList<>() : null;
        this.sink = sink != null ? sink : collected::add;
        this.ticker = settings.client() instanceof DefaultQuotaClient c ? c.config().ticker() : Ticker.SYSTEM;
        this.startNanos = ticker.nanos();
        this.window = settings.maxInFlight() * WINDOW_PER_IN_FLIGHT;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(settings.maxInFlight(), r -> {
            Thread t = new Thread(r, "qh-bulk-" + settings.pool() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a run.
     *
     * @param settings what to run
     * @param sink     where results go in input order, or null to collect them into the result
     * @return the running run
     */
    public static <I, R> BulkRun<I, R> start(Settings<I, R> settings, Consumer<? super BulkItem<I, R>> sink) {
        BulkRunner<I, R> run = new BulkRunner<>(settings, sink);
        run.pump();
        run.deliver();
        return run;
    }

    @Override
    public BulkProgress progress() {
        synchronized (lock) {
            return progressLocked();
        }
    }

    @Override
    public void cancel() {
        synchronized (lock) {
            stopLocked(BulkResult.Stop.CANCELLED);
        }
        deliver();
    }

    @Override
    public CompletableFuture<BulkResult<I, R>> result() {
        return result;
    }

    @Override
    public BulkResult<I, R> await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QuotaHubException(QuotaHubException.INTERRUPTED, "interrupted while waiting for a bulk run on pool '"
                    + s.pool() + "'", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a bulk run's result never fails", e.getCause());
        }
    }

    /**
     * Takes items from the source while there is room in flight and in the window. One thread pumps
     * at a time; a call meanwhile (another thread, or an item that ended at once inside this loop)
     * only makes the pumping thread go round once more, so the stack never grows with the items.
     */
    private void pump() {
        if (pumpRequests.getAndIncrement() != 0) {
            return;
        }
        int requests = 1;
        do {
            takeWhileRoom();
            requests = pumpRequests.addAndGet(-requests);
        } while (requests != 0);
    }

    private void takeWhileRoom() {
        while (true) {
            long index;
            I item;
            synchronized (lock) {
                if (stop != null || exhausted || inFlight >= s.maxInFlight() || nextIndex - nextToEmit >= window) {
                    return;
                }
                try {
                    if (!s.source().hasNext()) {
                        exhausted = true;
                        return;
                    }
                    item = s.source().next();
                } catch (RuntimeException e) {
                    sourceFailure = e;
                    stopLocked(BulkResult.Stop.SOURCE_FAILED);
                    return;
                }
                index = nextIndex++;
                inFlight++;
            }
            startItem(index, item);
        }
    }

    private void startItem(long index, I item) {
        CompletableFuture<R> call;
        try {
            long tokens = s.tokens().applyAsLong(item);
            if (tokens <= 0) {
                throw new IllegalArgumentException("the token estimate of item " + index + " must be positive, was " + tokens);
            }
            call = s.client().callAsync(s.pool(), tokens, s.maxWait(), null, s.retries(), lease -> callBody(item, lease));
        } catch (RuntimeException e) {
            ended(index, item, null, e);
            return;
        }
        call.whenComplete((value, thrown) -> ended(index, item, value, unwrap(thrown)));
    }

    private CompletableFuture<R> callBody(I item, Lease lease) {
        if (stopping) {
            if (lease instanceof LeaseImpl impl) {
                impl.release(); // never used: given back with nothing counted against the key
            } else {
                lease.close();
            }
            return CompletableFuture.failedFuture(new Stopped());
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return s.body().call(item, lease);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, workers);
    }

    private void ended(long index, I item, R value, Throwable thrown) {
        BulkItem.Status status = thrown == null ? BulkItem.Status.SUCCEEDED
                : thrown instanceof Stopped ? BulkItem.Status.CANCELLED : BulkItem.Status.FAILED;
        synchronized (lock) {
            inFlight--;
            switch (status) {
                case SUCCEEDED -> succeeded++;
                case FAILED -> failed++;
                case CANCELLED -> cancelled++;
            }
            finished.put(index, new BulkItem<>(index, item, status, thrown == null ? value : null, thrown));
            if (s.stopAfterFailures() > 0 && failed >= s.stopAfterFailures()) {
                stopLocked(BulkResult.Stop.TOO_MANY_FAILURES);
            }
            reports.add(progressLocked());
        }
        deliver();
        pump(); // the window may have moved
        deliver();
    }

    /**
     * Reports progress, hands the results that are next in input order to the sink, and ends the
     * run when all are in. One thread delivers at a time, never blocking another: a call meanwhile
     * makes the delivering thread go round once more (so a slow sink holds no client thread but its own).
     */
    private void deliver() {
        if (deliverRequests.getAndIncrement() != 0) {
            return;
        }
        int requests = 1;
        do {
            deliverReady();
            requests = deliverRequests.addAndGet(-requests);
        } while (requests != 0);
    }

    private void deliverReady() {
        for (BulkProgress p = reports.poll(); p != null; p = reports.poll()) {
            report(p);
        }
        while (true) {
            BulkItem<I, R> next;
            synchronized (lock) {
                next = finished.remove(nextToEmit);
                if (next == null) {
                    break;
                }
                nextToEmit++;
            }
            try {
                sink.accept(next);
            } catch (RuntimeException e) {
                DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "the sink of a bulk run on pool '" + s.pool()
                        + "' threw " + e.getClass().getName() + " for item " + next.index() + "; the run goes on");
            }
        }
        BulkResult<I, R> end = null;
        synchronized (lock) {
            if (inFlight == 0 && finished.isEmpty() && (stop != null || exhausted) && !result.isDone()) {
                end = new BulkResult<>(collected != null ? collected : List.of(), progressLocked(),
                        stop != null ? stop : BulkResult.Stop.COMPLETED, sourceFailure);
            }
        }
        if (end != null) {
            workers.shutdown();
            result.complete(end);
        }
    }

    private void report(BulkProgress progress) {
        try {
            s.onProgress().accept(progress);
        } catch (RuntimeException e) {
            DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "the progress listener of a bulk run on pool '"
                    + s.pool() + "' threw " + e.getClass().getName() + "; the run goes on");
        }
    }

    private void stopLocked(BulkResult.Stop why) {
        if (stop == null) {
            stop = why;
            stopping = true;
        }
    }

    private BulkProgress progressLocked() {
        return new BulkProgress(s.total(), succeeded, failed, cancelled, inFlight,
                Duration.ofNanos(Math.max(0, ticker.nanos() - startNanos)));
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
