package io.quotahub.agent.internal;

import io.quotahub.agent.Block;
import io.quotahub.agent.CallBlocks;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.proto.Outcome;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The blocks of one pool that a client holds ({@link CallBlocks}; docs/architecture.md, "Block
 * leases"): the block calls draw on now ({@code current}), and the next one asked for ahead of need
 * ({@code spare}). The fast path ({@link #tryAcquire}) reads {@code current} and takes a call from it
 * with compare-and-sets: no lock, no allocation, no I/O. Everything else — promoting the spare,
 * ending a spent block and settling it, installing a granted one — runs under this object's lock,
 * off the fast path.
 *
 * <p>A refill is asked for when the current block runs low ({@link HeldBlock#wantsRefill}): when its
 * calls left, at the agent's recent rate, or its usable life left would last no longer than the
 * lead ({@link #leadNanos}: a few round trips to the hub, at least {@link #MIN_LEAD_NANOS}), so a
 * spare block is held only for about the round trip before it is needed — each block held is
 * reserved at the hubs, and a spare held all along would double what the agent reserves. Sized by
 * {@link BlockSizer}; at most one is in flight. A block whose calls were all drawn and reported
 * completed is settled at once ({@link #completed}). A refused background refill waits out the hub's
 * retry-after before the next. Each block is ended and settled at the latest when the client's own
 * clock says it is past its use ({@link HeldBlock#usableUntil}), by a timer.
 */
final class BlockSupply implements CallBlocks {

    /** What the supply needs of the client: the hubs and a timer. */
    interface Hub {
        /** Asks the hubs for a block of up to {@code calls} calls; fails as an acquire does. */
        CompletableFuture<HeldBlock.Grant> request(String pool, long tokensPerCall, int calls, Duration maxWait);

        /** Settles a block with what was drawn from it. */
        CompletableFuture<Void> settle(HeldBlock.Grant grant, Outcome outcome, long tokensUsed, int callsUsed,
                                       long retryAfterMs);

        /** Runs {@code task} after {@code delayNanos} of the client's ticker. */
        void schedule(Runnable task, long delayNanos);
    }

    /** Wait after a background refill failed without a retry-after. */
    static final long REFILL_BACKOFF_NANOS = 100_000_000L;
    private static final long DEFAULT_LIFE_NANOS = 2_000_000_000L;
    /** The least lead of a refill: covers a loaded machine's slow round trips. */
    static final long MIN_LEAD_NANOS = 20_000_000L;
    /** The lead of a refill in round trips (smoothed) to the hub. */
    static final int LEAD_ROUND_TRIPS = 4;

    private final String pool;
    private final Ticker ticker;
    private final Hub hub;
    private final AtomicBoolean refilling = new AtomicBoolean();
    private final BlockSizer sizer = new BlockSizer();
    private final List<CompletableFuture<Void>> settles = new ArrayList<>();
    private volatile HeldBlock current;
    private volatile HeldBlock spare;
    private volatile CompletableFuture<HeldBlock.Grant> inFlight;
    /** No background refill before this time of the ticker (a refusal's retry-after). */
    private volatile long refillAfter;
    /** Whether the last grant was a block: a pool without blocks is not asked ahead of need. */
    private volatile boolean prefetch = true;
    private volatile boolean closed;
    /** Guarded by this: calls drawn from blocks already ended; the life of the last block granted. */
    private long callsOfEnded;
    private long lifeNanos = DEFAULT_LIFE_NANOS;
    /** Guarded by this: the round trip of a block request, smoothed (0: none measured yet). */
    private long roundTripNanos;

    BlockSupply(String pool, Ticker ticker, Hub hub) {
        this.pool = pool;
        this.ticker = ticker;
        this.hub = hub;
        this.refillAfter = ticker.nanos();
    }

    @Override
    public String pool() {
        return pool;
    }

    // ---- the fast path

    @Override
    public Block tryAcquire(long tokens) {
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens must be > 0 (the call's estimated tokens), was " + tokens);
        }
        HeldBlock b = current;
        long now = ticker.nanos();
        if (b != null && b.draw(tokens, now)) {
            if (b.wantsRefill(now) && spare == null) {
                refillAhead(tokens, now);
            }
            return b;
        }
        if (closed) {
            throw new IllegalStateException("the blocks of pool '" + pool + "' are closed");
        }
        return rotate(tokens, now);
    }

    /** No room in the current block: end it if spent, promote the spare, try again, ask for more. */
    private Block rotate(long tokens, long now) {
        HeldBlock drawn = null;
        synchronized (this) {
            for (int i = 0; i < 2 && drawn == null; i++) {
                HeldBlock b = current;
                if (b == null) {
                    if (spare == null) {
                        break;
                    }
                    current = spare;
                    spare = null;
                    continue;
                }
                if (b.draw(tokens, now)) {
                    drawn = b;
                } else {
                    end(b); // spent, or too few tokens left for a call: the rest returns
                }
            }
        }
        if (drawn == null || drawn.wantsRefill(now) && spare == null) {
            refillAhead(tokens, now);
        }
        return drawn;
    }

    private void refillAhead(long tokens, long now) {
        if (!prefetch && current != null || now - refillAfter < 0 || closed) {
            return;
        }
        if (refilling.compareAndSet(false, true)) {
            startRefill(tokens, Duration.ZERO);
        }
    }

    // ---- the slow path

    @Override
    public Block acquire(long tokens, Duration maxWait) {
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be zero or positive, was " + maxWait);
        }
        long deadline = ticker.nanos() + Math.min(maxWait.toNanos(), Long.MAX_VALUE / 4);
        RuntimeException last = null;
        while (true) {
            Block b = tryAcquire(tokens);
            if (b != null) {
                return b;
            }
            long remaining = deadline - ticker.nanos();
            if (remaining <= 0 && last != null) {
                throw last;
            }
            CompletableFuture<HeldBlock.Grant> f;
            boolean own = refilling.compareAndSet(false, true);
            f = own ? startRefill(tokens, Duration.ofNanos(Math.max(0, remaining))) : inFlight;
            if (f == null) {
                Thread.onSpinWait(); // another thread is between claiming the refill and starting it
                continue;
            }
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QuotaHubException(QuotaHubException.INTERRUPTED, "interrupted while waiting for a block", e);
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r
                        : new QuotaHubException("INTERNAL", "block request failed: " + e.getCause(), e.getCause());
                if (own || remaining <= 0) {
                    throw cause;
                }
                last = cause; // a background refill's single attempt: ask with our own wait next
            }
            if (own && ticker.nanos() - deadline >= 0) {
                Block after = tryAcquire(tokens);
                if (after != null) {
                    return after;
                }
                throw new QuotaExhaustedException("QUOTA_EXHAUSTED", "no block of pool '" + pool + "' had room within "
                        + maxWait.toMillis() + " ms", Duration.ofMillis(1), pool, "", "");
            }
        }
    }

    // ---- refills

    private CompletableFuture<HeldBlock.Grant> startRefill(long tokens, Duration maxWait) {
        int calls;
        synchronized (this) {
            calls = sizer.next(ticker.nanos(), callsDrawn(), lifeNanos);
        }
        CompletableFuture<HeldBlock.Grant> f;
        try {
            f = hub.request(pool, tokens, calls, maxWait);
        } catch (RuntimeException e) {
            refilling.set(false);
            throw e;
        }
        inFlight = f;
        f.whenComplete((grant, error) -> {
            if (grant != null) {
                install(grant);
            } else {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                long wait = cause instanceof QuotaExhaustedException q ? q.retryAfter().toNanos() : REFILL_BACKOFF_NANOS;
                refillAfter = ticker.nanos() + Math.max(1, wait);
            }
            refilling.set(false);
        });
        return f;
    }

    /** Calls drawn so far, ended blocks and held ones (under the lock). */
    private long callsDrawn() {
        long n = callsOfEnded;
        for (HeldBlock b : new HeldBlock[] {current, spare}) {
            if (b != null) {
                n += b.grant.calls() - b.left();
            }
        }
        return n;
    }

    private void install(HeldBlock.Grant grant) {
        HeldBlock b;
        long now = ticker.nanos();
        synchronized (this) {
            long rtt = Math.max(0, now - grant.sentAtNanos());
            roundTripNanos = roundTripNanos == 0 ? rtt : (roundTripNanos + rtt) / 2;
            long lead = leadNanos();
            b = new HeldBlock(this, grant, (int) Math.min(Integer.MAX_VALUE, (long) (sizer.callsPerSecond() * lead / 1e9)), lead);
            prefetch = grant.isBlock();
            if (grant.isBlock()) {
                lifeNanos = grant.expiresInNanos();
            }
            if (closed) {
                end(b);
                return;
            }
            HeldBlock c = current;
            if (c == null || c.spent(now)) {
                if (c != null) {
                    end(c);
                }
                current = b;
            } else if (spare == null) {
                spare = b;
            } else {
                end(b); // not wanted after all: every call returns
                return;
            }
        }
        hub.schedule(() -> expire(b), Math.max(0, b.usableUntil - now));
    }

    /** How long before the current block runs out the next is asked for: a few round trips, at least {@link #MIN_LEAD_NANOS}. Under the lock. */
    private long leadNanos() {
        return Math.max(MIN_LEAD_NANOS, LEAD_ROUND_TRIPS * roundTripNanos);
    }

    /** Every call of {@code b} was drawn and completed: settle it now rather than at the next call or its end of use. */
    void completed(HeldBlock b) {
        synchronized (this) {
            end(b);
        }
    }

    /** The timer at a block's end of use: it is settled even when no call comes to notice. */
    private void expire(HeldBlock b) {
        synchronized (this) {
            if (b.spent(ticker.nanos())) {
                end(b);
            }
        }
    }

    /** A call reported a 429 or an auth failure: the block ends, and a spare on the same key with it. */
    void ended(HeldBlock b) {
        synchronized (this) {
            end(b);
            HeldBlock s = spare;
            if (s != null && s.grant.keyId().equals(b.grant.keyId())) {
                end(s);
            }
        }
    }

    /** Ends {@code b} (once), drops it from the slots and settles it. Under the lock. */
    private void end(HeldBlock b) {
        if (current == b) {
            current = spare;
            spare = null;
        } else if (spare == b) {
            spare = null;
        }
        int used = b.end();
        if (used < 0) {
            return;
        }
        callsOfEnded += used;
        CompletableFuture<Void> settled = hub.settle(b.grant, b.outcome(used), b.tokensUsed(), used, b.retryAfterMs());
        settles.removeIf(CompletableFuture::isDone);
        settles.add(settled);
    }

    @Override
    public void close() {
        closeAndSettle();
    }

    /** Closes and returns the settles still under way (the client waits for them on its close). */
    List<CompletableFuture<Void>> closeAndSettle() {
        synchronized (this) {
            closed = true;
            HeldBlock s = spare;
            HeldBlock c = current;
            if (c != null) {
                end(c);
            }
            if (s != null) {
                end(s);
            }
            return List.copyOf(settles);
        }
    }

    // ---- for tests

    HeldBlock current() {
        return current;
    }

    HeldBlock spare() {
        return spare;
    }

    boolean refilling() {
        return refilling.get();
    }

    double callsPerSecond() {
        synchronized (this) {
            return sizer.callsPerSecond();
        }
    }

    @Override
    public String toString() {
        return "CallBlocks[pool=" + pool + ", current=" + current + ", spare=" + spare + (closed ? ", closed" : "") + "]";
    }
}
