package io.quotahub.agent.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Message;
import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Refused;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One {@code acquire}: a small state machine that runs on the client's scheduler thread (never
 * blocking it) and completes {@link #result}.
 *
 * <p>A logical attempt has one request id. It is sent to the routes of {@link HubRouter} one after
 * the other while they time out or have no responders (the same id each time: a hub answers a
 * duplicate with its first result, so a late hub never grants twice); when every route of a round
 * failed, a new round starts after a short backoff. A refusal or a retryable hub error ends the
 * logical attempt: the next one, after the wait, has a new request id.
 *
 * <p>Every wait is spread by the client's {@link Jitter}, so that waiters refused at the same
 * instant do not ask again at the same instant: after a refusal the wait is drawn from
 * [retry-after, 1.5 x retry-after) (never earlier than the hub said room may come back, when a
 * retry is wasted), after {@code OVERLOADED} from [0.5, 1.5) x retry-after (a backlog estimate, not
 * a limit's reset), and the fixed backoffs likewise from [backoff, 1.5 x backoff).
 *
 * <p>A {@code BUDGET_EXHAUSTED} refusal means this hub's share is used up while the other hub may
 * hold the rest (e.g. a hub that rejoined after its peer took its budget over): before waiting,
 * the request goes once to each other ready hub's direct subject, which grants only from its own
 * budget.
 */
final class AcquireOperation {

    /** At least this many sends before giving up as "hub unavailable", whatever maxWait says. */
    static final int MIN_SENDS = 2;
    private static final long ROUND_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MIN_ROUND_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MIN_ATTEMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MIN_REFUSAL_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long ERROR_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Set<String> RETRYABLE_ERRORS = Set.of("UNAVAILABLE", "FENCED", "DEADLINE_EXCEEDED");
    /** Codes of a hub that cannot serve now (e.g. one that woke up fenced by its peer): ask the other hub. */
    private static final Set<String> HUB_CANNOT_SERVE = Set.of("UNAVAILABLE", "FENCED");
    private static final String BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED";

    final CompletableFuture<Lease> result = new CompletableFuture<>();

    private final DefaultQuotaClient client;
    private final String pool;
    private final long tokens;
    private final Priority priority;
    private final long startNanos;
    private final long deadlineNanos;
    private final Set<String> tried = new HashSet<>();
    private String requestId;
    /** Hubs whose share was used up in this round of refusals. */
    private final Set<String> budgetRefusedBy = new HashSet<>();
    /** The BUDGET_EXHAUSTED refusal answered while another hub is asked, or null. */
    private Refused budgetRefusal;
    /** The route the next send must take (the other hub after a BUDGET_EXHAUSTED), or null. */
    private Route nextRoute;
    private int attemptSends;
    /** Whether this attempt already re-sent a route whose connection dropped. */
    private boolean resentAfterConnectionLoss;
    private int sends;
    private String lastProblem = "no route tried";
    private boolean finished;
    /** This acquire holds one of the client's {@link AcquireSlots} (for a request in flight or about to be sent). */
    private boolean holdsSlot;
    /**
     * The blocking {@code acquire} waits on {@link #result} and attaches nothing to it: completing it
     * right here saves a hand-off to the callback pool (with it, the time an acquire adds to the raw
     * NATS floors fell from 227–271 to 27–133 µs, docs/benchmarks.md section 2).
     */
    private final boolean callerWaits;
    private boolean waitedForSlot;

    AcquireOperation(DefaultQuotaClient client, String pool, long tokens, Priority priority, Duration maxWait,
            boolean callerWaits) {
        this.callerWaits = callerWaits;
        this.client = client;
        this.pool = pool;
        this.tokens = tokens;
        this.priority = priority;
        this.startNanos = System.nanoTime();
        this.deadlineNanos = startNanos + saturatedNanos(maxWait);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** Starts on the scheduler thread. */
    void start() {
        client.execute(() -> {
            newAttempt();
            sendNext();
        });
    }

    /** Fails the operation (client closing); runs on the scheduler thread or after it stopped. */
    void abort(RuntimeException why) {
        finish(why);
    }

    private void newAttempt() {
        requestId = UUID.randomUUID().toString();
        attemptSends = 0;
        resentAfterConnectionLoss = false;
        tried.clear();
    }

    private long remaining() {
        return deadlineNanos - System.nanoTime();
    }

    /** Woken by {@link AcquireSlots} with a slot taken for it. */
    private void wake() {
        holdsSlot = true;
        sendNext();
    }

    private void giveBackSlot() {
        if (holdsSlot) {
            holdsSlot = false;
            client.wake(client.acquireSlots().giveBack());
        }
    }

    private void sendNext() {
        if (finished) {
            giveBackSlot();
            return;
        }
        if (result.isDone()) { // cancelled by the caller
            finish(null);
            return;
        }
        if (client.isClosing()) {
            finish(new IllegalStateException("QuotaClient is closed"));
            return;
        }
        if (client.isConnectionClosed()) {
            finish(new HubUnavailableException("the NATS connection is closed for good"));
            return;
        }
        long remaining = remaining();
        if (remaining <= 0 && attemptSends >= MIN_SENDS) {
            finish(new HubUnavailableException("no hub answered acquire for pool '" + pool + "' within "
                    + Duration.ofNanos(System.nanoTime() - startNanos).toMillis() + " ms after " + sends
                    + " requests (last: " + lastProblem + "; known hubs " + client.router().knownHubs() + ")"));
            return;
        }
        if (remaining <= 0 && waitedForSlot) {
            finish(new QuotaExhaustedException(AcquireSlots.OVERLOADED, "the hubs are overloaded: this client keeps at most "
                    + client.acquireSlots().limit() + " acquires outstanding and this one waited its maxWait of "
                    + Duration.ofNanos(deadlineNanos - startNanos).toMillis() + " ms for a turn",
                    Duration.ofMillis(AcquireSlots.RETRY_AFTER_MS), pool, "", ""));
            return;
        }
        Route route = nextRoute != null ? nextRoute : client.router().nextAcquireRoute(tried);
        nextRoute = null;
        if (route == null) { // every route of this round failed: next round, same request id
            giveBackSlot();
            tried.clear();
            long backoff = attemptSends >= MIN_SENDS
                    ? Math.max(0, Math.min(client.config().jitter().atLeast(ROUND_BACKOFF_NANOS), remaining))
                    : client.config().jitter().atLeast(MIN_ROUND_BACKOFF_NANOS);
            client.schedule(this::sendNext, backoff);
            return;
        }
        if (!holdsSlot) {
            if (!client.acquireSlots().tryTake(this::wake)) {
                waitedForSlot = true;
                return; // wake() sends once a request of this client is answered
            }
            holdsSlot = true;
        }
        tried.add(route.subject());
        long requestTimeout = client.config().requestTimeout().toNanos();
        long timeout = attemptSends < MIN_SENDS ? requestTimeout
                : Math.max(MIN_ATTEMPT_NANOS, Math.min(remaining, requestTimeout));
        attemptSends++;
        sends++;
        AcquireRequest request = AcquireRequest.newBuilder()
                .setRequestId(requestId)
                .setAgentId(client.agentId())
                .setPool(pool)
                .setTokens(tokens)
                .setPriority(priority)
                .setDeadlineEpochMs(client.config().clock().millis() + TimeUnit.NANOSECONDS.toMillis(timeout))
                .build();
        client.request(route.subject(), request.toByteArray(), Duration.ofNanos(timeout),
                (msg, error) -> onResponse(route, msg, error));
    }

    private void onResponse(Route route, Message msg, Throwable error) {
        ClientMetrics.RouteFailure failure = error == null ? null : Requests.classify(error);
        AcquireReply reply = null;
        if (error == null) {
            try {
                reply = AcquireReply.parseFrom(msg.getData());
            } catch (InvalidProtocolBufferException e) {
                failure = ClientMetrics.RouteFailure.BAD_REPLY;
            }
        }
        if (holdsSlot) {
            holdsSlot = false;
            boolean overloaded = failure == ClientMetrics.RouteFailure.TIMEOUT
                    || reply != null && reply.hasRefused() && AcquireSlots.OVERLOADED.equals(reply.getRefused().getCode());
            client.wake(client.acquireSlots().release(overloaded));
        }
        if (finished) {
            if (reply != null) {
                releaseLateGrant(reply);
            }
            return;
        }
        if (failure != null) {
            routeFailed(route, failure, error == null ? "unparsable reply" : String.valueOf(error.getMessage()));
            return;
        }
        client.router().onReply(route, reply.getHubId());
        client.notices().report(pool, reply.getHubId(), reply.getNotice());
        switch (reply.getResultCase()) {
            case GRANTED -> granted(reply);
            case REFUSED -> refused(reply.getHubId(), reply.getRefused());
            case ERROR -> error(route, reply.getHubId(), reply.getError());
            default -> routeFailed(route, ClientMetrics.RouteFailure.BAD_REPLY, "reply without result");
        }
    }

    private void routeFailed(Route route, ClientMetrics.RouteFailure failure, String detail) {
        client.router().onFailure(route, failure);
        client.metrics().routeFailed(route.subject(), failure);
        if (budgetRefusal != null) { // the other hub could not be asked: the refusal stands
            waitAfterRefusal(takeBudgetRefusal());
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
                () -> "acquire " + requestId + " for pool '" + pool + "': " + failure + " on " + route.subject()
                        + " (" + detail + "), trying the next route");
        sendNext();
    }

    private void granted(AcquireReply reply) {
        LeaseImpl lease = client.openLease(reply.getHubId(), reply.getGranted(), tokens);
        finished = true;
        client.metrics().granted(pool, reply.getHubId(), System.nanoTime() - startNanos, sends);
        client.operationDone(this);
        complete(() -> {
            if (!result.complete(lease)) { // cancelled meanwhile: give the capacity back
                lease.release();
            }
        });
    }

    private void refused(String hubId, Refused refused) {
        client.metrics().refused(pool, refused.getCode());
        if (BUDGET_EXHAUSTED.equals(refused.getCode()) && hubId != null && !hubId.isBlank()) {
            budgetRefusedBy.add(hubId);
            Route other = client.router().readyDirectAcquireRouteExcept(budgetRefusedBy);
            if (other != null) {
                if (budgetRefusal == null) {
                    budgetRefusal = refused;
                }
                newAttempt();
                nextRoute = other;
                sendNext();
                return;
            }
        }
        waitAfterRefusal(refused); // the last hub's word: every hub asked refused
    }

    private Refused takeBudgetRefusal() {
        Refused r = budgetRefusal;
        budgetRefusal = null;
        return r;
    }

    private void waitAfterRefusal(Refused refused) {
        budgetRefusal = null;
        budgetRefusedBy.clear();
        long remaining = remaining();
        String code = refused.getCode().isEmpty() ? "QUOTA_EXHAUSTED" : refused.getCode();
        if (remaining <= 0) {
            finish(new QuotaExhaustedException(code,
                    refused.getReason(), Duration.ofMillis(Math.max(0, refused.getRetryAfterMs())),
                    refused.getPool().isEmpty() ? pool : refused.getPool(), refused.getKeyId(), refused.getLimit()));
            return;
        }
        long retryAfter = Math.max(TimeUnit.MILLISECONDS.toNanos(refused.getRetryAfterMs()), MIN_REFUSAL_WAIT_NANOS);
        long wait = AcquireSlots.OVERLOADED.equals(code)
                ? client.config().jitter().around(retryAfter)
                : client.config().jitter().atLeast(retryAfter);
        wait = Math.min(wait, remaining);
        client.metrics().retryScheduled(pool, code, wait);
        client.schedule(() -> {
            newAttempt();
            sendNext();
        }, wait);
    }

    private void error(Route route, String hubId, ErrorReply error) {
        String code = error.getCode().isEmpty() ? "INTERNAL" : error.getCode();
        if (budgetRefusal != null) { // the other hub cannot serve: the first hub's refusal stands
            if (HUB_CANNOT_SERVE.contains(code)) {
                client.router().markUnavailable(route, hubId);
            }
            waitAfterRefusal(takeBudgetRefusal());
            return;
        }
        if (RETRYABLE_ERRORS.contains(code)) {
            if (HUB_CANNOT_SERVE.contains(code)) {
                client.router().markUnavailable(route, hubId);
            }
            lastProblem = code + " from hub " + hubId;
            long remaining = remaining();
            if (remaining <= 0 && sends >= MIN_SENDS) { // each retry is a new attempt: count all sends
                finish(new HubUnavailableException("no hub could serve pool '" + pool + "': last " + lastProblem
                        + ": " + error.getMessage()));
                return;
            }
            long wait = Math.max(0, Math.min(client.config().jitter().atLeast(ERROR_BACKOFF_NANOS), remaining));
            client.metrics().retryScheduled(pool, code, wait);
            client.schedule(() -> {
                newAttempt();
                sendNext();
            }, wait);
            return;
        }
        finish(new QuotaHubException(code, "hub " + hubId + " rejected acquire for pool '" + pool + "': "
                + error.getMessage()));
    }

    private void finish(RuntimeException failure) {
        if (finished) {
            return;
        }
        finished = true;
        giveBackSlot();
        client.operationDone(this);
        if (failure != null) {
            client.metrics().acquireFailed(pool, failure instanceof QuotaHubException q ? q.code() : "CLOSED");
            complete(() -> result.completeExceptionally(failure));
        }
    }

    private void complete(Runnable completion) {
        if (callerWaits) {
            completion.run();
        } else {
            client.callback(completion);
        }
    }

    /** A grant that arrived after the operation ended (a duplicate on another route): release it. */
    private void releaseLateGrant(AcquireReply reply) {
        if (reply.hasGranted() && !client.isOpenLease(reply.getGranted().getLeaseId())) {
            client.openLease(reply.getHubId(), reply.getGranted(), tokens).release();
        }
    }
}
