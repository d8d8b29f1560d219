package io.quotahub.agent.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Message;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;

import java.util.concurrent.CompletableFuture;

/**
 * Drives one {@link SettleMachine} on the client's logical thread ({@link SerialExecutor}): feeds it the replies, failures
 * and timers with the time of the client's {@link Ticker}, and carries out what it asks. All
 * decisions are the machine's.
 */
final class SettleOperation implements SettleMachine.Out {

    final CompletableFuture<Void> result = new CompletableFuture<>();

    private final DefaultQuotaClient client;
    private final SettleMachine machine;
    /** The blocking settle only waits on {@link #result}: complete it here, without the callback pool. */
    private final boolean callerWaits;

    SettleOperation(DefaultQuotaClient client, LeaseImpl lease, Outcome outcome, long tokensUsed, long retryAfterMs,
            String detail, boolean callerWaits) {
        this.client = client;
        this.callerWaits = callerWaits;
        ClientConfig config = client.config();
        SettleRequest.Builder request = SettleRequest.newBuilder()
                .setRequestId(Requests.newId())
                .setLeaseId(lease.leaseId())
                .setAgentId(client.agentId())
                .setTokensUsed(tokensUsed)
                .setOutcome(outcome)
                .setRetryAfterMs(retryAfterMs)
                .setDetail(detail)
                .setLeaseSecret(lease.secret())
                .setCallDurationMs(lease.callDurationMs())
                .setCallsUsed(lease.callsUsed());
        if (!lease.providerReport().isEmpty()) {
            request.setProvider(ProviderReportWire.toProto(lease.providerReport()));
        }
        this.machine = new SettleMachine(this, client.router(), client.retryPolicy(), config.metrics(), request,
                lease.hubId(), lease.pool(), config.requestTimeout().toNanos(), config.settleTimeout().toNanos(),
                now(), config.clock()::millis, lease::scrub);
    }

    private long now() {
        return client.config().ticker().nanos();
    }

    void start() {
        client.execute(() -> machine.start(now()));
    }

    private void onResponse(Route route, Message msg, Throwable error) {
        if (error != null) {
            machine.failed(now(), route, Requests.classify(error));
            return;
        }
        SettleReply reply;
        try {
            reply = SettleReply.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            machine.failed(now(), route, ClientMetrics.RouteFailure.BAD_REPLY);
            return;
        }
        machine.replied(now(), route, reply);
    }

    @Override
    public RuntimeException stopReason() {
        return client.isTerminated() ? new IllegalStateException("QuotaClient is closed") : null;
    }

    @Override
    public void send(Route route, byte[] body, long timeoutNanos) {
        client.request(route, body, timeoutNanos, (msg, error) -> onResponse(route, msg, error));
    }

    @Override
    public void wakeAfter(long nanos) {
        client.schedule(() -> machine.timerFired(now()), nanos);
    }

    @Override
    public void ended(RuntimeException failure) {
        Runnable completion = failure == null ? () -> result.complete(null) : () -> result.completeExceptionally(failure);
        if (callerWaits) {
            completion.run();
        } else {
            client.callback(completion);
        }
    }
}
