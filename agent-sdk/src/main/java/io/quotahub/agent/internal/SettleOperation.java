package io.quotahub.agent.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Message;
import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One settle: the lease's hub first, then the queue, then the other hubs, all with one request id,
 * round after round (spread by the client's {@link Jitter}) until the settle timeout. Every request
 * carries the lease's secret: a hub settles a lease only for its holder and answers
 * {@code FORBIDDEN} otherwise, which no other hub or later round would change, so it ends the
 * settle at once. Runs on the client's scheduler thread.
 */
final class SettleOperation {

    private static final long MIN_ATTEMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * Errors that another hub, or the same one a moment later, may not give (takeover in progress).
     * Every other error ends the settle, {@code FORBIDDEN} among them: the secret does not prove the
     * lease, and every hub checks it against the same hash.
     */
    private static final Set<String> RETRYABLE_ERRORS = Set.of("UNAVAILABLE", "DEADLINE_EXCEEDED", "UNKNOWN_LEASE");

    final CompletableFuture<Void> result = new CompletableFuture<>();

    private final DefaultQuotaClient client;
    private final LeaseImpl lease;
    private final SettleRequest.Builder request;
    private final long deadlineNanos;
    private final Set<String> tried = new HashSet<>();
    private final String requestId = UUID.randomUUID().toString();
    private int sends;
    private String lastProblem = "no route tried";
    private String lastErrorCode;
    private boolean finished;
    /** The blocking settle only waits on {@link #result}: complete it here, without the callback pool. */
    private final boolean callerWaits;

    SettleOperation(DefaultQuotaClient client, LeaseImpl lease, Outcome outcome, long tokensUsed, long retryAfterMs,
            String detail, boolean callerWaits) {
        this.callerWaits = callerWaits;
        this.client = client;
        this.lease = lease;
        this.deadlineNanos = client.config().ticker().nanos() + client.config().settleTimeout().toNanos();
        this.request = SettleRequest.newBuilder()
                .setRequestId(requestId)
                .setLeaseId(lease.leaseId())
                .setAgentId(client.agentId())
                .setTokensUsed(tokensUsed)
                .setOutcome(outcome)
                .setRetryAfterMs(retryAfterMs)
                .setDetail(detail)
                .setLeaseSecret(lease.secret());
    }

    void start() {
        client.execute(this::sendNext);
    }

    private void sendNext() {
        if (finished) {
            return;
        }
        if (client.isTerminated()) {
            finish(new IllegalStateException("QuotaClient is closed"));
            return;
        }
        long remaining = deadlineNanos - client.config().ticker().nanos();
        if (remaining <= 0 && sends > 0) {
            String msg = "lease " + lease.leaseId() + " of pool '" + lease.pool() + "' not settled after " + sends
                    + " requests (last: " + lastProblem + ")";
            finish(lastErrorCode != null && !"UNAVAILABLE".equals(lastErrorCode)
                    && !"DEADLINE_EXCEEDED".equals(lastErrorCode)
                    ? new QuotaHubException(lastErrorCode, msg) : new HubUnavailableException(msg));
            return;
        }
        Route route = client.router().nextSettleRoute(lease.hubId(), tried);
        if (route == null) {
            tried.clear();
            // spread: the settles of many agents that lost every hub at once must not come back together
            client.schedule(this::sendNext, client.retryPolicy().afterRound(false, remaining));
            return;
        }
        tried.add(route.subject());
        long requestTimeout = client.config().requestTimeout().toNanos();
        long timeout = sends == 0 ? requestTimeout : Math.max(MIN_ATTEMPT_NANOS, Math.min(remaining, requestTimeout));
        sends++;
        byte[] body = request
                .setDeadlineEpochMs(client.config().clock().millis() + TimeUnit.NANOSECONDS.toMillis(timeout))
                .build().toByteArray();
        client.request(route.subject(), body, timeout, (msg, error) -> onResponse(route, msg, error));
    }

    private void onResponse(Route route, Message msg, Throwable error) {
        if (finished) {
            return;
        }
        if (error != null) {
            ClientMetrics.RouteFailure failure = Requests.classify(error);
            client.router().onFailure(route, failure);
            client.metrics().routeFailed(route.subject(), failure);
            lastProblem = failure + " on " + route.subject();
            sendNext();
            return;
        }
        SettleReply reply;
        try {
            reply = SettleReply.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            lastProblem = "unparsable reply on " + route.subject();
            sendNext();
            return;
        }
        client.router().onReply(route, reply.getHubId());
        if (!reply.hasError()) {
            finish(null);
            return;
        }
        String code = reply.getError().getCode().isEmpty() ? "INTERNAL" : reply.getError().getCode();
        String hubMessage = lease.scrub(reply.getError().getMessage()); // a hub never echoes a secret; be sure
        lastErrorCode = code;
        lastProblem = code + " from hub " + reply.getHubId() + ": " + hubMessage;
        if (RETRYABLE_ERRORS.contains(code)) {
            if ("UNAVAILABLE".equals(code)) {
                client.router().markUnavailable(route, reply.getHubId());
            }
            sendNext();
            return;
        }
        finish(new QuotaHubException(code, "hub " + reply.getHubId() + " rejected the settle of lease "
                + lease.leaseId() + ": " + hubMessage));
    }

    private void finish(RuntimeException failure) {
        if (finished) {
            return;
        }
        finished = true;
        client.metrics().settled(lease.pool(), request.getOutcome().name(), failure == null);
        Runnable completion = failure == null ? () -> result.complete(null) : () -> result.completeExceptionally(failure);
        if (callerWaits) {
            completion.run();
        } else {
            client.callback(completion);
        }
    }
}
