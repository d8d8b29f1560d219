package io.quotahub.agent.internal;

import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Refused;

import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The decisions of one {@code acquire}, with no NATS, no thread and no clock: each event comes in
 * with the time ({@code now}, nanoseconds of the client's {@link Ticker}) and what follows goes out
 * through {@link Out} — send this request on this route, wait this long, take or give back a slot,
 * done. {@link AcquireOperation} drives it on the client's logical thread ({@link SerialExecutor}).
 *
 * <p>States: {@link State#SENDING} (a request is in flight), {@link State#WAITING_FOR_SLOT}
 * (the client's {@link AcquireSlots} are all taken), {@link State#BACKING_OFF} (a timer runs),
 * {@link State#DONE}. Events: {@link #start}, {@link #slotTaken}, {@link #replied}, {@link #failed},
 * {@link #timerFired}, {@link #abort}.
 *
 * <p>A logical attempt has one request id. It is sent to the routes of {@link HubRouter} one after
 * the other while they time out or have no responders (the same id each time: a hub answers a
 * duplicate with its first result, so a late hub never grants twice); when every route of a round
 * failed, a new round starts after a short backoff. A refusal or a retryable hub error ends the
 * logical attempt: the next one, after the wait, has a new request id. Every wait comes from the
 * client's {@link RetryPolicy}.
 *
 * <p>A {@code BUDGET_EXHAUSTED} refusal means this hub's share is used up while the other hub may
 * hold the rest (e.g. a hub that rejoined after its peer took its budget over): before waiting,
 * the request goes once to each other ready hub's direct subject, which grants only from its own
 * budget. When every hub refused so, the wait is at most half a second, whatever the retry-after:
 * budgets move sooner than windows free.
 *
 * <p>Just over 400 lines: every state and event of one acquire in one place, so each transition
 * reads top to bottom beside the others.
 */
final class AcquireMachine {

    /** What the machine asks its driver to do. */
    interface Out {
        /** Why no request may go out now (client closed, connection closed for good, caller cancelled), or null. */
        RuntimeException stopReason();

        /** Sends {@code request} on {@code route}; {@link #replied} or {@link #failed} follows. */
        void send(Route route, AcquireRequest request, long timeoutNanos);

        /** Takes one of the client's acquire slots now (true), or queues for one ({@link #slotTaken} follows). */
        boolean takeSlot();

        /** The slot's request was answered ({@code overloaded}: shed or timed out). */
        void releaseSlot(boolean overloaded);

        /** A slot taken but not used for a request. */
        void giveBackSlot();

        /** Calls {@link #timerFired} after {@code nanos}. */
        void wakeAfter(long nanos);

        /** The hub granted: open the lease and hand it to the caller. */
        void granted(AcquireReply reply);

        /** How many acquires the client keeps outstanding now (for the message of an acquire that waited too long). */
        int slotLimit();

        /** The acquire ended without a lease: failed with {@code why}, or null when there is nothing to report (cancelled). */
        void ended(RuntimeException why);

        /** A grant that came after the acquire ended (a duplicate on another route): release it. */
        void lateGrant(AcquireReply reply);
    }

    enum State { NEW, SENDING, WAITING_FOR_SLOT, BACKING_OFF, DONE }

    /** Stop reason of an acquire cancelled by its caller: it ends without a failure to report. */
    static final RuntimeException CANCELLED = new RuntimeException("cancelled", null, false, false) { };
    /** At least this many sends before giving up as "hub unavailable", whatever maxWait says. */
    static final int MIN_SENDS = 2;
    private static final long MIN_ATTEMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Set<ErrorReply.Code> RETRYABLE_ERRORS = EnumSet.of(ErrorReply.Code.UNAVAILABLE,
            ErrorReply.Code.FENCED, ErrorReply.Code.DEADLINE_EXCEEDED);
    /** Codes of a hub that cannot serve now (e.g. one that woke up fenced by its peer): ask the other hub. */
    private static final Set<ErrorReply.Code> HUB_CANNOT_SERVE = EnumSet.of(ErrorReply.Code.UNAVAILABLE,
            ErrorReply.Code.FENCED);

    private final Out out;
    private final HubRouter router;
    private final RetryPolicy retry;
    private final ClientMetrics metrics;
    private final Supplier<String> ids;
    private final java.util.function.LongSupplier wallClockMillis;
    private final AcquireRequest.Builder request;
    private final long requestTimeoutNanos;
    private final long startNanos;
    private final long deadlineNanos;
    private final Set<String> tried = new HashSet<>();
    /** Hubs whose share was used up in this round of refusals. */
    private final Set<String> budgetRefusedBy = new HashSet<>();
    private State state = State.NEW;
    /** The BUDGET_EXHAUSTED refusal answered while another hub is asked, or null. */
    private Refused budgetRefusal;
    /** The route the next send must take (the other hub after a BUDGET_EXHAUSTED), or null. */
    private Route nextRoute;
    /** The timer ends the logical attempt: the next send has a new request id. */
    private boolean newAttemptAfterTimer;
    private int attemptSends;
    /** Whether this attempt already re-sent a route whose connection dropped. */
    private boolean resentAfterConnectionLoss;
    private int sends;
    private String lastProblem = "no route tried";
    private boolean holdsSlot;
    private boolean waitedForSlot;
    /** When the current request id was first sent (ticker nanos), or -1: a block's life counts from it. */
    private long attemptSentAt = -1;

    /**
     * @param wallClockMillis wall time for the absolute deadline on the wire (hubs drop requests past it)
     */
    AcquireMachine(Out out, HubRouter router, RetryPolicy retry, ClientMetrics metrics, Supplier<String> ids,
            String agentId, String pool, long tokens, Priority priority, Duration maxWait, Duration requestTimeout,
            long now, java.util.function.LongSupplier wallClockMillis) {
        this.out = out;
        this.router = router;
        this.retry = retry;
        this.metrics = metrics;
        this.ids = ids;
        this.wallClockMillis = wallClockMillis;
        this.request = AcquireRequest.newBuilder().setAgentId(agentId).setPool(pool).setTokens(tokens)
                .setPriority(priority);
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.startNanos = now;
        this.deadlineNanos = now + saturatedNanos(maxWait);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE / 4;
        }
    }

    /**
     * Whether a fallback pool may serve this acquire (the default); false sends {@code no_fallback}.
     * Call before {@link #start}.
     */
    void fallback(boolean allowed) {
        request.setNoFallback(!allowed);
    }

    State state() {
        return state;
    }

    String pool() {
        return request.getPool();
    }

    long tokens() {
        return request.getTokens();
    }

    /** Sends made so far (all attempts). */
    int sends() {
        return sends;
    }

    long elapsed(long now) {
        return now - startNanos;
    }

    // ---- events

    void start(long now) {
        newAttempt();
        sendNext(now);
    }

    /** Woken by {@link AcquireSlots} with a slot taken for this acquire. */
    void slotTaken(long now) {
        holdsSlot = true;
        sendNext(now);
    }

    void timerFired(long now) {
        if (newAttemptAfterTimer) {
            newAttemptAfterTimer = false;
            newAttempt();
        }
        sendNext(now);
    }

    /** Ends the acquire (client closing); {@code why} null: nothing to report. */
    void abort(RuntimeException why) {
        finish(why);
    }

    void replied(long now, Route route, AcquireReply reply) {
        if (holdsSlot) {
            holdsSlot = false;
            out.releaseSlot(HubReplies.overloaded(reply));
        }
        if (state == State.DONE) {
            out.lateGrant(reply);
            return;
        }
        router.onReply(route, reply.getHubId());
        switch (reply.getResultCase()) {
            case GRANTED -> granted(now, reply);
            case REFUSED -> refused(now, reply.getHubId(), reply.getRefused());
            case ERROR -> error(now, route, reply.getHubId(), reply.getError());
            default -> routeFailed(now, route, ClientMetrics.RouteFailure.BAD_REPLY, "reply without result");
        }
    }

    void failed(long now, Route route, ClientMetrics.RouteFailure failure, String detail) {
        if (holdsSlot) {
            holdsSlot = false;
            out.releaseSlot(failure == ClientMetrics.RouteFailure.TIMEOUT);
        }
        if (state == State.DONE) {
            return;
        }
        routeFailed(now, route, failure, detail);
    }

    // ---- decisions

    /** Asks for a block of at most {@code calls} calls instead of one call (docs/architecture.md, "Block leases"). */
    AcquireMachine block(int calls) {
        request.setBlockCalls(calls);
        return this;
    }

    /**
     * When the request id that was granted was first sent: the hub granted it after this, so a
     * block's life counted from here ends before the hub's. -1 before any send.
     */
    long attemptSentAt() {
        return attemptSentAt;
    }

    private void newAttempt() {
        attemptSentAt = -1;
        request.setRequestId(ids.get());
        attemptSends = 0;
        resentAfterConnectionLoss = false;
        tried.clear();
    }

    private void wait(long nanos, boolean newAttempt) {
        state = State.BACKING_OFF;
        newAttemptAfterTimer = newAttempt;
        out.wakeAfter(nanos);
    }

    private void sendNext(long now) {
        if (state == State.DONE) {
            giveBackSlot();
            return;
        }
        RuntimeException stop = out.stopReason();
        if (stop != null) {
            finish(stop == CANCELLED ? null : stop);
            return;
        }
        long remaining = deadlineNanos - now;
        if (remaining <= 0 && attemptSends >= MIN_SENDS) {
            finish(new HubUnavailableException("no hub answered acquire for pool '" + pool() + "' within "
                    + Duration.ofNanos(now - startNanos).toMillis() + " ms after " + sends
                    + " requests (last: " + lastProblem + "; known hubs " + router.knownHubs() + ")"));
            return;
        }
        if (remaining <= 0 && waitedForSlot) {
            finish(new QuotaExhaustedException(Refused.Code.OVERLOADED.name(),
                    "the hubs are overloaded: this client keeps at most "
                    + out.slotLimit() + " acquires outstanding and this one waited its maxWait of "
                    + Duration.ofNanos(deadlineNanos - startNanos).toMillis() + " ms for a turn",
                    Duration.ofMillis(AcquireSlots.RETRY_AFTER_MS), pool(), "", ""));
            return;
        }
        Route route = nextRoute != null ? nextRoute : router.nextAcquireRoute(tried);
        nextRoute = null;
        if (route == null) { // every route of this round failed: next round, same request id
            giveBackSlot();
            tried.clear();
            wait(retry.afterRound(attemptSends < MIN_SENDS, remaining), false);
            return;
        }
        if (!holdsSlot) {
            if (!out.takeSlot()) {
                waitedForSlot = true;
                state = State.WAITING_FOR_SLOT;
                return; // slotTaken() sends once a request of this client is answered
            }
            holdsSlot = true;
        }
        tried.add(route.subject());
        long timeout = attemptSends < MIN_SENDS ? requestTimeoutNanos
                : Math.max(MIN_ATTEMPT_NANOS, Math.min(remaining, requestTimeoutNanos));
        attemptSends++;
        sends++;
        state = State.SENDING;
        long wallNow = wallClockMillis.getAsLong();
        request.setDeadlineEpochMs(wallNow + TimeUnit.NANOSECONDS.toMillis(timeout));
        // how long this caller still waits: a hub prefers the pool asked for to a fallback while that fits
        request.setWaitUntilEpochMs(remaining > 0 ? wallNow + TimeUnit.NANOSECONDS.toMillis(remaining) : 0);
        if (attemptSentAt < 0) {
            attemptSentAt = now;
        }
        out.send(route, request.build(), timeout);
    }

    private void giveBackSlot() {
        if (holdsSlot) {
            holdsSlot = false;
            out.giveBackSlot();
        }
    }

    private void routeFailed(long now, Route route, ClientMetrics.RouteFailure failure, String detail) {
        router.onFailure(route, failure);
        metrics.routeFailed(route.subject(), failure);
        if (budgetRefusal != null) { // the other hub could not be asked: the refusal stands
            waitAfterRefusal(now, takeBudgetRefusal());
            return;
        }
        if (failure == ClientMetrics.RouteFailure.CONNECTION && !resentAfterConnectionLoss) {
            // the request died with its server, not with the route: the same route goes out once more
            // on the next connection (the queue then reaches the hub beside that server at once,
            // where the next route could be the lost hub's direct subject, timing out meanwhile)
            resentAfterConnectionLoss = true;
            tried.remove(route.subject());
        }
        lastProblem = failure + " on " + route.subject();
        DefaultQuotaClient.LOG.log(System.Logger.Level.DEBUG,
                () -> "acquire " + request.getRequestId() + " for pool '" + pool() + "': " + failure + " on "
                        + route.subject() + " (" + detail + "), trying the next route");
        sendNext(now);
    }

    private void granted(long now, AcquireReply reply) {
        state = State.DONE;
        metrics.granted(pool(), reply.getHubId(), now - startNanos, sends);
        out.granted(reply);
    }

    private void refused(long now, String hubId, Refused refused) {
        Refused.Code code = HubReplies.code(refused);
        metrics.refused(pool(), code.name());
        if (code == Refused.Code.BUDGET_EXHAUSTED && hubId != null && !hubId.isBlank()) {
            budgetRefusedBy.add(hubId);
            Route other = router.readyDirectAcquireRouteExcept(budgetRefusedBy);
            if (other != null) {
                if (budgetRefusal == null) {
                    budgetRefusal = refused;
                }
                newAttempt();
                nextRoute = other;
                sendNext(now);
                return;
            }
        }
        waitAfterRefusal(now, refused); // the last hub's word: every hub asked refused
    }

    private Refused takeBudgetRefusal() {
        Refused r = budgetRefusal;
        budgetRefusal = null;
        return r;
    }

    private void waitAfterRefusal(long now, Refused refused) {
        budgetRefusal = null;
        budgetRefusedBy.clear();
        long remaining = deadlineNanos - now;
        if (remaining <= 0) {
            finish(HubReplies.exhausted(refused, pool()));
            return;
        }
        Refused.Code code = HubReplies.code(refused);
        long wait = code == Refused.Code.BUDGET_EXHAUSTED ? retry.afterBudgetRefusal(refused.getRetryAfterMs(), remaining)
                : retry.afterRefusal(refused.getRetryAfterMs(), code == Refused.Code.OVERLOADED, remaining);
        metrics.retryScheduled(pool(), code.name(), wait);
        wait(wait, true);
    }

    private void error(long now, Route route, String hubId, ErrorReply error) {
        ErrorReply.Code code = HubReplies.code(error);
        if (budgetRefusal != null) { // the other hub cannot serve: the first hub's refusal stands
            if (HUB_CANNOT_SERVE.contains(code)) {
                router.markUnavailable(route, hubId);
            }
            waitAfterRefusal(now, takeBudgetRefusal());
            return;
        }
        if (RETRYABLE_ERRORS.contains(code)) {
            if (HUB_CANNOT_SERVE.contains(code)) {
                router.markUnavailable(route, hubId);
            }
            lastProblem = code + " from hub " + hubId;
            long remaining = deadlineNanos - now;
            if (remaining <= 0 && sends >= MIN_SENDS) { // each retry is a new attempt: count all sends
                finish(new HubUnavailableException("no hub could serve pool '" + pool() + "': last " + lastProblem
                        + ": " + error.getMessage()));
                return;
            }
            long wait = retry.afterError(remaining);
            metrics.retryScheduled(pool(), code.name(), wait);
            wait(wait, true);
            return;
        }
        finish(HubReplies.rejected(code, "hub " + hubId + " rejected acquire for pool '" + pool() + "': "
                + error.getMessage()));
    }

    private void finish(RuntimeException failure) {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        giveBackSlot();
        if (failure != null) {
            metrics.acquireFailed(pool(), failure instanceof QuotaHubException q ? q.code() : "CLOSED");
        }
        out.ended(failure);
    }
}
