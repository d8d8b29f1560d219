package io.quotahub.agent.internal;

import io.quotahub.agent.HubUnavailableException;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * The decisions of one settle, with no NATS, no thread and no clock (like {@link AcquireMachine}):
 * the lease's hub first, then the queue, then the other hubs, all with one request id, round after
 * round (waits from the client's {@link RetryPolicy}) until the settle timeout. Every request carries
 * the lease's secret: a hub settles a lease only for its holder and answers {@code FORBIDDEN}
 * otherwise, which no other hub or later round would change, so it ends the settle at once.
 *
 * <p>States: {@link State#SENDING}, {@link State#BACKING_OFF}, {@link State#DONE}. Events:
 * {@link #start}, {@link #replied}, {@link #failed}, {@link #timerFired}.
 */
final class SettleMachine {

    /** What the machine asks its driver to do. */
    interface Out {
        /** Why no request may go out now (the client terminated), or null. */
        RuntimeException stopReason();

        /** Sends {@code body} on {@code route}; {@link #replied} or {@link #failed} follows. */
        void send(Route route, byte[] body, long timeoutNanos);

        /** Calls {@link #timerFired} after {@code nanos}. */
        void wakeAfter(long nanos);

        /** The settle ended: {@code failure} null when a hub settled the lease. */
        void ended(RuntimeException failure);
    }

    enum State { NEW, SENDING, BACKING_OFF, DONE }

    private static final long MIN_ATTEMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * Errors that another hub, or the same one a moment later, may not give (takeover in progress).
     * Every other error ends the settle, {@code FORBIDDEN} among them: the secret does not prove the
     * lease, and every hub checks it against the same hash.
     */
    private static final Set<ErrorReply.Code> RETRYABLE_ERRORS = EnumSet.of(ErrorReply.Code.UNAVAILABLE,
            ErrorReply.Code.DEADLINE_EXCEEDED, ErrorReply.Code.UNKNOWN_LEASE);

    private final Out out;
    private final HubRouter router;
    private final RetryPolicy retry;
    private final ClientMetrics metrics;
    private final SettleRequest.Builder request;
    private final String leaseHub;
    private final String pool;
    private final long requestTimeoutNanos;
    private final long deadlineNanos;
    private final LongSupplier wallClockMillis;
    /** Removes the lease's secret from a hub's words (a hub never echoes it; be sure). */
    private final UnaryOperator<String> scrub;
    private final Set<String> tried = new HashSet<>();
    private State state = State.NEW;
    private int sends;
    private String lastProblem = "no route tried";
    private ErrorReply.Code lastErrorCode;

    SettleMachine(Out out, HubRouter router, RetryPolicy retry, ClientMetrics metrics, SettleRequest.Builder request,
            String leaseHub, String pool, long requestTimeoutNanos, long settleTimeoutNanos, long now,
            LongSupplier wallClockMillis, UnaryOperator<String> scrub) {
        this.out = out;
        this.router = router;
        this.retry = retry;
        this.metrics = metrics;
        this.request = request;
        this.leaseHub = leaseHub;
        this.pool = pool;
        this.requestTimeoutNanos = requestTimeoutNanos;
        this.deadlineNanos = now + settleTimeoutNanos;
        this.wallClockMillis = wallClockMillis;
        this.scrub = scrub;
    }

    State state() {
        return state;
    }

    void start(long now) {
        sendNext(now);
    }

    void timerFired(long now) {
        sendNext(now);
    }

    void failed(long now, Route route, ClientMetrics.RouteFailure failure) {
        if (state == State.DONE) {
            return;
        }
        if (failure == ClientMetrics.RouteFailure.BAD_REPLY) {
            lastProblem = "unparsable reply on " + route.subject();
        } else {
            router.onFailure(route, failure);
            metrics.routeFailed(route.subject(), failure);
            lastProblem = failure + " on " + route.subject();
        }
        sendNext(now);
    }

    void replied(long now, Route route, SettleReply reply) {
        if (state == State.DONE) {
            return;
        }
        router.onReply(route, reply.getHubId());
        if (!reply.hasError()) {
            finish(null);
            return;
        }
        ErrorReply.Code code = HubReplies.code(reply.getError());
        String hubMessage = scrub.apply(reply.getError().getMessage());
        lastErrorCode = code;
        lastProblem = code + " from hub " + reply.getHubId() + ": " + hubMessage;
        if (RETRYABLE_ERRORS.contains(code)) {
            if (code == ErrorReply.Code.UNAVAILABLE) {
                router.markUnavailable(route, reply.getHubId());
            }
            sendNext(now);
            return;
        }
        finish(HubReplies.rejected(code, "hub " + reply.getHubId() + " rejected the settle of lease "
                + request.getLeaseId() + ": " + hubMessage));
    }

    private void sendNext(long now) {
        if (state == State.DONE) {
            return;
        }
        RuntimeException stop = out.stopReason();
        if (stop != null) {
            finish(stop);
            return;
        }
        long remaining = deadlineNanos - now;
        if (remaining <= 0 && sends > 0) {
            String msg = "lease " + request.getLeaseId() + " of pool '" + pool + "' not settled after " + sends
                    + " requests (last: " + lastProblem + ")";
            finish(lastErrorCode != null && lastErrorCode != ErrorReply.Code.UNAVAILABLE
                    && lastErrorCode != ErrorReply.Code.DEADLINE_EXCEEDED
                    ? HubReplies.rejected(lastErrorCode, msg) : new HubUnavailableException(msg));
            return;
        }
        Route route = router.nextSettleRoute(leaseHub, tried);
        if (route == null) {
            tried.clear();
            // spread: the settles of many agents that lost every hub at once must not come back together
            state = State.BACKING_OFF;
            out.wakeAfter(retry.afterRound(false, remaining));
            return;
        }
        tried.add(route.subject());
        long timeout = sends == 0 ? requestTimeoutNanos : Math.max(MIN_ATTEMPT_NANOS, Math.min(remaining, requestTimeoutNanos));
        sends++;
        state = State.SENDING;
        byte[] body = request.setDeadlineEpochMs(wallClockMillis.getAsLong() + TimeUnit.NANOSECONDS.toMillis(timeout))
                .build().toByteArray();
        out.send(route, body, timeout);
    }

    private void finish(RuntimeException failure) {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        metrics.settled(pool, request.getOutcome().name(), failure == null);
        out.ended(failure);
    }
}
