package io.quotahub.hub.service;

import io.quotahub.engine.RefusalCode;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.ledger.Ledger;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.DoubleSupplier;

/**
 * An acquire that waits on the hub for room instead of answering a refusal at once (the HTTP
 * API's {@code maxWaitMs}). While the answer is a refusal worth waiting for ({@link #WORTH_WAITING})
 * whose retry-after fits in the time left, the request is decided again after that retry-after
 * (plus up to 10 % jitter, so waiters refused together do not all come back in the same
 * millisecond), on a timer: no thread is held while it waits. Refusals that a settle can cure
 * ({@link #FREED_BY_SETTLES}: concurrency, the agent's share, a full window) are tried again every
 * 250 ms (at most; sooner when their retry-after is sooner) until the wait is spent, since their
 * retry-after is then only the worst case (an open lease counts until it expires). It ends with the
 * first answer that is not such a refusal, or with the last refusal once the wait is spent. The
 * cost: at most four decisions a second per waiting request, each a few microseconds.
 *
 * <p>Which refusals are waited for: those that time alone cures on this hub — a full window
 * (QUOTA_EXHAUSTED), concurrency, burst, throttle, load shedding, cooldown, an open circuit (it
 * half-opens after its retry-after), and AGENT_LIMIT (the agent holds its share: the wait ends when
 * one of its own leases settles or expires). Not waited for: BUDGET_EXHAUSTED (this hub's share is
 * used up; the other hub may hold the rest, so the client should ask it now) and KEY_DISABLED (only
 * an operator cures it). Errors and overload answers are never waited on either.
 *
 * <p>The request id keeps its meaning for the whole wait: every try is decided under it
 * ({@link AcquireService#reconsider}, which decides anew instead of answering the remembered
 * refusal of the try before), so a grant is remembered under it for retries; and a retry of the
 * same request id (same agent and principal) that arrives while the wait goes on joins that wait
 * and gets the same final answer.
 *
 * <p>{@link #close()} (hub shutdown) answers every wait UNAVAILABLE at once, and
 * {@link #failIfFenced()} (called periodically) answers them FENCED as soon as the hub is fenced.
 */
public final class WaitingAcquire implements AutoCloseable {

    /** The refusals a waiting acquire waits out (see the class comment). */
    public static final Set<RefusalCode> WORTH_WAITING = EnumSet.of(RefusalCode.QUOTA_EXHAUSTED, RefusalCode.CONCURRENCY,
            RefusalCode.BURST, RefusalCode.THROTTLED, RefusalCode.SHED, RefusalCode.COOLDOWN, RefusalCode.CIRCUIT_OPEN,
            RefusalCode.AGENT_LIMIT);
    /**
     * The refusals a settle can cure before their retry-after: a lease of the pool, key or agent
     * ends (CONCURRENCY, AGENT_LIMIT), or an open lease that holds a window full until its expiry
     * settles and then counts only until its window ends (QUOTA_EXHAUSTED).
     */
    public static final Set<RefusalCode> FREED_BY_SETTLES = EnumSet.of(RefusalCode.CONCURRENCY, RefusalCode.AGENT_LIMIT,
            RefusalCode.QUOTA_EXHAUSTED);
    /** How often a wait refused for want of a settle tries again. */
    static final long SETTLE_POLL_MILLIS = 250;
    /** The largest share of a retry-after added to it as jitter. */
    static final double JITTER = 0.1;

    /** Runs a task after a delay; the hub's is a scheduled executor, tests drive their own. */
    @FunctionalInterface
    public interface Timer {
        Future<?> schedule(Runnable task, long delayMillis);

        /** Stops the timer (at {@link #close()}); nothing by default. */
        default void stop() {
        }
    }

    private final AcquireService acquire;
    private final HubLedger ledger;
    private final Timer timer;
    private final Clock clock;
    private final Duration maxWait;
    private final DoubleSupplier random;
    private final Map<String, Wait> waits = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** One waiting acquire: its command, its deadline, its final answer, its next try. */
    private static final class Wait {
        final AcquireCommand cmd;
        final long deadlineMillis;
        final CompletableFuture<AcquireOutcome> answer = new CompletableFuture<>();
        volatile Future<?> next;

        Wait(AcquireCommand cmd, long deadlineMillis) {
            this.cmd = cmd;
            this.deadlineMillis = deadlineMillis;
        }
    }

    /**
     * @param maxWait the longest wait a request may ask for; longer ones are clamped to it
     * @param random  uniform in [0, 1), for the jitter
     */
    public WaitingAcquire(AcquireService acquire, HubLedger ledger, Timer timer, Clock clock, Duration maxWait,
                          DoubleSupplier random) {
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be >= 0, was " + maxWait);
        }
        this.acquire = acquire;
        this.ledger = ledger;
        this.timer = timer;
        this.clock = clock;
        this.maxWait = maxWait;
        this.random = random;
    }

    /** The longest wait granted to a request. */
    public Duration maxWait() {
        return maxWait;
    }

    /** The wait a request asking for {@code requested} gets: clamped to [0, {@link #maxWait()}]. */
    public Duration clamp(Duration requested) {
        if (requested == null || requested.isNegative()) {
            return Duration.ZERO;
        }
        return requested.compareTo(maxWait) > 0 ? maxWait : requested;
    }

    /**
     * Acquires, waiting up to {@code wait} (clamped, see {@link #clamp}) while the answer is a
     * refusal worth waiting for. A zero wait is a plain {@link AcquireService#acquire}.
     */
    public CompletableFuture<AcquireOutcome> acquire(AcquireCommand cmd, Duration wait) {
        Duration granted = clamp(wait);
        if (granted.isZero()) {
            return acquire.acquire(cmd);
        }
        if (closed) {
            return CompletableFuture.completedFuture(shuttingDown());
        }
        String key = key(cmd);
        long deadlineMillis = clock.millis() + granted.toMillis();
        // every try knows how long the caller waits: the pool asked for is preferred to a fallback while it fits
        cmd = cmd.waitingUntil(java.time.Instant.ofEpochMilli(deadlineMillis));
        Wait mine = new Wait(cmd, deadlineMillis);
        Wait earlier = waits.putIfAbsent(key, mine);
        if (earlier != null) {
            // a retry of a request that waits: the same final answer (never another principal's lease)
            return earlier.cmd.principal().equals(cmd.principal()) ? earlier.answer : acquire.acquire(cmd);
        }
        mine.answer.whenComplete((outcome, error) -> {
            waits.remove(key, mine);
            Future<?> next = mine.next;
            if (next != null) {
                next.cancel(false);
            }
        });
        if (closed) { // closed meanwhile: close() may not have seen this wait
            mine.answer.complete(shuttingDown());
            return mine.answer;
        }
        follow(mine, acquire.acquire(cmd));
        return mine.answer;
    }

    /** Handles the answer of one try: ends the wait, or schedules the next try. */
    private void follow(Wait wait, CompletableFuture<AcquireOutcome> attempt) {
        attempt.whenComplete((outcome, error) -> {
            if (wait.answer.isDone()) {
                return;
            }
            if (error != null) {
                wait.answer.completeExceptionally(error);
                return;
            }
            long delay = nextTryIn(outcome, wait.deadlineMillis - clock.millis());
            if (delay < 0) {
                wait.answer.complete(outcome);
                return;
            }
            wait.next = timer.schedule(() -> {
                if (!wait.answer.isDone()) {
                    follow(wait, acquire.reconsider(wait.cmd));
                }
            }, delay);
            if (wait.answer.isDone()) {
                wait.next.cancel(false); // answered (closed, fenced) while scheduling
            }
        });
    }

    /**
     * When to try again after {@code outcome} with {@code leftMillis} of the wait left; -1 when the
     * outcome is final. A refusal that time cures is tried again after its retry-after (plus
     * jitter) if that fits in the time left; one that a settle may cure
     * ({@link #FREED_BY_SETTLES}) every {@link #SETTLE_POLL_MILLIS} at most until the wait is spent,
     * as its retry-after is only the worst case (the oldest lease's expiry).
     */
    long nextTryIn(AcquireOutcome outcome, long leftMillis) {
        if (!(outcome instanceof AcquireOutcome.Refused r) || !WORTH_WAITING.contains(r.refusal().code()) || leftMillis <= 0) {
            return -1;
        }
        long retryAfter = Math.max(1, r.refusal().retryAfter().toMillis());
        if (FREED_BY_SETTLES.contains(r.refusal().code())) {
            return Math.min(jittered(Math.min(retryAfter, SETTLE_POLL_MILLIS)), leftMillis);
        }
        return retryAfter > leftMillis ? -1 : Math.min(jittered(retryAfter), leftMillis);
    }

    private long jittered(long millis) {
        return millis + (long) (millis * JITTER * random.getAsDouble());
    }

    /** Answers every wait FENCED when the hub's ledger is fenced. Call periodically. */
    public void failIfFenced() {
        Ledger current = ledger.current();
        if (current != null && current.fenced() && !waits.isEmpty()) {
            waits.values().forEach(w -> w.answer.complete(new AcquireOutcome.Failed(ErrorCode.FENCED,
                    "this hub was fenced by its peer while the acquire waited; use the other hub")));
        }
    }

    /** Waits going on now. */
    public int waiting() {
        return waits.size();
    }

    /** Answers every wait UNAVAILABLE (the hub shuts down) and takes no new ones. */
    @Override
    public void close() {
        closed = true;
        waits.values().forEach(w -> w.answer.complete(shuttingDown()));
        timer.stop();
    }

    private static AcquireOutcome shuttingDown() {
        return new AcquireOutcome.Failed(ErrorCode.UNAVAILABLE, "this hub is shutting down; use the other hub");
    }

    private static String key(AcquireCommand cmd) {
        return cmd.agentId() + '\u0000' + cmd.requestId();
    }
}
