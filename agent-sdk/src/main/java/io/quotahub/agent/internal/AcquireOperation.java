package io.quotahub.agent.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Message;
import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.Lease;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Priority;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Drives one {@link AcquireMachine} on the client's logical thread ({@link SerialExecutor}): feeds it the replies, failures,
 * timers and slots with the time of the client's {@link Ticker}, and carries out what it asks (send
 * a request, schedule a wake-up, open the lease, complete {@link #result}). All decisions are the
 * machine's.
 */
final class AcquireOperation implements AcquireMachine.Out {

    final CompletableFuture<Lease> result = new CompletableFuture<>();

    private final DefaultQuotaClient client;
    private final AcquireMachine machine;
    /**
     * The blocking {@code acquire} waits on {@link #result} and attaches nothing to it: completing it
     * right here saves a hand-off to the callback pool (with it, the time an acquire adds to the raw
     * NATS floors fell from 227–271 to 27–133 µs, docs/benchmarks.md section 2).
     */
    private final boolean callerWaits;

    AcquireOperation(DefaultQuotaClient client, String pool, long tokens, Priority priority, Duration maxWait,
            boolean fallback, boolean callerWaits) {
        this(client, pool, tokens, priority, maxWait, fallback, callerWaits, 0);
    }

    /**
     * @param fallback   whether a fallback pool may serve it
     * @param blockCalls 0: a lease for one call; n &gt; 0: a block of at most n calls
     */
    AcquireOperation(DefaultQuotaClient client, String pool, long tokens, Priority priority, Duration maxWait,
            boolean fallback, boolean callerWaits, int blockCalls) {
        this.client = client;
        this.callerWaits = callerWaits;
        ClientConfig config = client.config();
        this.machine = new AcquireMachine(this, client.router(), client.retryPolicy(), config.metrics(),
                Requests::newId, config.agentId(), pool, tokens, priority, maxWait,
                config.requestTimeout(), now(), config.clock()::millis);
        machine.fallback(fallback);
        if (blockCalls > 0) {
            machine.block(blockCalls);
        }
    }

    private long now() {
        return client.config().ticker().nanos();
    }

    /** Starts on the client's logical thread (here, when it is free). */
    void start() {
        client.execute(() -> machine.start(now()));
    }

    /** Fails the operation (client closing); runs on the client's logical thread. */
    void abort(RuntimeException why) {
        machine.abort(why);
    }

    private void onResponse(Route route, Message msg, Throwable error) {
        if (error != null) {
            machine.failed(now(), route, Requests.classify(error), String.valueOf(error.getMessage()));
            return;
        }
        AcquireReply reply;
        try {
            reply = AcquireReply.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            machine.failed(now(), route, ClientMetrics.RouteFailure.BAD_REPLY, "unparsable reply");
            return;
        }
        if (machine.state() != AcquireMachine.State.DONE) {
            client.notices().report(machine.pool(), reply.getHubId(), reply.getNotice());
        }
        machine.replied(now(), route, reply);
    }

    // ---- what the machine asks for

    @Override
    public RuntimeException stopReason() {
        if (result.isDone()) {
            return AcquireMachine.CANCELLED;
        }
        if (client.isClosing()) {
            return new IllegalStateException("QuotaClient is closed");
        }
        if (client.isConnectionClosed()) {
            return new HubUnavailableException("the NATS connection is closed for good");
        }
        return null;
    }

    @Override
    public void send(Route route, AcquireRequest request, long timeoutNanos) {
        client.request(route, request.toByteArray(), timeoutNanos, (msg, error) -> onResponse(route, msg, error));
    }

    @Override
    public boolean takeSlot() {
        return client.acquireSlots().tryTake(() -> machine.slotTaken(now()));
    }

    @Override
    public void releaseSlot(boolean overloaded) {
        client.wake(client.acquireSlots().release(overloaded));
    }

    @Override
    public void giveBackSlot() {
        client.wake(client.acquireSlots().giveBack());
    }

    @Override
    public int slotLimit() {
        return client.acquireSlots().limit();
    }

    @Override
    public void wakeAfter(long nanos) {
        client.schedule(() -> machine.timerFired(now()), nanos);
    }

    @Override
    public void granted(AcquireReply reply) {
        LeaseImpl lease = client.openLease(reply.getHubId(), reply.getGranted(), machine.tokens());
        lease.requestSentAt(machine.attemptSentAt());
        client.operationDone(this);
        complete(() -> {
            if (!result.complete(lease)) { // cancelled meanwhile: give the capacity back
                lease.release();
            }
        });
    }

    @Override
    public void ended(RuntimeException why) {
        client.operationDone(this);
        if (why != null) {
            complete(() -> result.completeExceptionally(why));
        }
    }

    @Override
    public void lateGrant(AcquireReply reply) {
        if (reply.hasGranted() && !client.isOpenLease(reply.getGranted().getLeaseId())) {
            client.openLease(reply.getHubId(), reply.getGranted(), machine.tokens()).release();
        }
    }

    private void complete(Runnable completion) {
        if (callerWaits) {
            completion.run();
        } else {
            client.callback(completion);
        }
    }
}
