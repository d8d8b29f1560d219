package io.quotahub.hub.service;

import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.metrics.AcquireLatency;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Granted;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.Refused;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hub's NATS API: acquire and settle on the shared queue subjects (NATS prefers the local
 * hub) and on this hub's direct subjects, plus agent heartbeats. Protobuf in, protobuf out;
 * replies are sent when the ledger confirmed, without blocking the dispatcher.
 *
 * <p>Acquires and settles have a dispatcher (thread) each, so settles, which free capacity, never
 * wait behind a backlog of acquires. Overload is shed, not queued: when more than
 * {@code maxQueuedAcquires} acquires wait for the dispatcher, or {@code maxGrantsInFlight} grants
 * wait for the ledger, an acquire is refused at once with code {@value #OVERLOADED} and a
 * retry-after. Queueing instead let requests wait past the SDK's attempt timeout, so every grant
 * was wasted work and retries doubled the load: acknowledged throughput collapsed from ≈ 5 000/s
 * to ≈ 200/s when 10 000/s were offered (docs/benchmarks.md section 4).
 */
public final class NatsApi implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NatsApi.class);
    /** Refusal code of a shed acquire. */
    public static final String OVERLOADED = "OVERLOADED";
    /** About 50–200 ms of work on a 2-core machine, well under the SDK's 750 ms attempt timeout. */
    public static final int DEFAULT_MAX_QUEUED_ACQUIRES = 1_000;
    /** A safeguard for a slow ledger: group commit keeps far fewer in flight at capacity. */
    public static final int DEFAULT_MAX_GRANTS_IN_FLIGHT = 5_000;
    static final long SHED_RETRY_AFTER_MS = 100;

    private final Connection connection;
    private final AcquireService acquire;
    private final SettleService settle;
    private final AgentRegistry agents;
    private final String hubId;
    private final AcquireLatency latency;
    private final int maxQueuedAcquires;
    private final int maxGrantsInFlight;
    private final AtomicInteger acquiresInFlight = new AtomicInteger();
    private Dispatcher acquires;
    private Dispatcher settles;

    public NatsApi(Connection connection, AcquireService acquire, SettleService settle, AgentRegistry agents,
                   String hubId, MeterRegistry registry) {
        this(connection, acquire, settle, agents, hubId, registry, DEFAULT_MAX_QUEUED_ACQUIRES, DEFAULT_MAX_GRANTS_IN_FLIGHT);
    }

    /** With explicit overload limits (tests use small ones). */
    public NatsApi(Connection connection, AcquireService acquire, SettleService settle, AgentRegistry agents,
                   String hubId, MeterRegistry registry, int maxQueuedAcquires, int maxGrantsInFlight) {
        if (maxQueuedAcquires < 1 || maxGrantsInFlight < 1) {
            throw new IllegalArgumentException("maxQueuedAcquires and maxGrantsInFlight must be >= 1, were "
                    + maxQueuedAcquires + " and " + maxGrantsInFlight);
        }
        this.maxQueuedAcquires = maxQueuedAcquires;
        this.maxGrantsInFlight = maxGrantsInFlight;
        this.connection = connection;
        this.acquire = acquire;
        this.settle = settle;
        this.agents = agents;
        this.hubId = hubId;
        this.latency = new AcquireLatency(registry, hubId, AcquireLatency.NATS);
    }

    public void start() {
        acquires = connection.createDispatcher();
        acquires.subscribe(Subjects.ACQUIRE, Subjects.HUB_QUEUE, this::onAcquire);
        acquires.subscribe(Subjects.hubAcquire(hubId), this::onAcquire);
        settles = connection.createDispatcher();
        settles.subscribe(Subjects.SETTLE, Subjects.HUB_QUEUE, this::onSettle);
        settles.subscribe(Subjects.hubSettle(hubId), this::onSettle);
        settles.subscribe(Subjects.HEARTBEAT, this::onHeartbeat);
    }

    /** Acquires waiting for the dispatcher (0 before start). */
    long queuedAcquires() {
        return acquires == null ? 0 : acquires.getPendingMessageCount();
    }

    /** The refusal of a shed acquire, or null if the hub can take it. */
    private AcquireReply shed(AcquireRequest request) {
        long queued = queuedAcquires();
        int inFlight = acquiresInFlight.get();
        if (queued <= maxQueuedAcquires && inFlight < maxGrantsInFlight) {
            return null;
        }
        return AcquireReply.newBuilder().setRequestId(request.getRequestId()).setHubId(hubId)
                .setRefused(Refused.newBuilder()
                        .setCode(OVERLOADED)
                        .setPool(request.getPool())
                        .setReason("hub " + hubId + " is overloaded (" + queued + " acquires queued, " + inFlight
                                + " grants awaiting the ledger); retry shortly or use another hub")
                        .setRetryAfterMs(SHED_RETRY_AFTER_MS))
                .build();
    }

    void onAcquire(Message msg) {
        long start = System.nanoTime();
        AcquireRequest request;
        try {
            request = AcquireRequest.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            reply(msg, acquireError("", ErrorCode.BAD_REQUEST, "malformed AcquireRequest: not a protobuf message"));
            latency.error(start);
            return;
        }
        if (request.getDeadlineEpochMs() <= 0) {
            reply(msg, acquireError(request.getRequestId(), ErrorCode.BAD_REQUEST, "deadline_epoch_ms is missing"));
            latency.error(start);
            return;
        }
        AcquireReply overloaded = shed(request);
        if (overloaded != null) {
            reply(msg, overloaded);
            latency.refused(start);
            return;
        }
        AcquireCommand cmd = new AcquireCommand(request.getRequestId(), request.getAgentId(), request.getPool(),
                request.getTokens(), LedgerEvents.fromProto(request.getPriority()),
                Instant.ofEpochMilli(request.getDeadlineEpochMs()));
        acquiresInFlight.incrementAndGet();
        acquire.acquire(cmd).whenComplete((outcome, error) -> {
            acquiresInFlight.decrementAndGet();
            AcquireReply reply = error != null
                    ? acquireError(request.getRequestId(), ErrorCode.INTERNAL, "internal error")
                    : toReply(request.getRequestId(), outcome);
            reply(msg, reply.toByteArray());
            if (reply.hasGranted()) {
                latency.granted(start);
            } else if (reply.hasRefused()) {
                latency.refused(start);
            } else {
                latency.error(start);
            }
        });
    }

    private AcquireReply toReply(String requestId, AcquireOutcome outcome) {
        AcquireReply.Builder reply = AcquireReply.newBuilder().setRequestId(requestId).setHubId(hubId);
        if (outcome instanceof AcquireOutcome.Granted g) {
            reply.setGranted(Granted.newBuilder()
                    .setLeaseId(g.lease().leaseId())
                    .setPool(g.lease().pool())
                    .setKeyId(g.lease().keyId())
                    .setApiKey(g.secret().reveal())
                    .setTokens(g.lease().tokens())
                    .setExpiresAtEpochMs(g.lease().expiresAt().toEpochMilli()));
        } else if (outcome instanceof AcquireOutcome.Refused r) {
            var refusal = r.refusal();
            Refused.Builder refused = Refused.newBuilder()
                    .setCode(refusal.code().name())
                    .setReason(refusal.message())
                    .setRetryAfterMs(refusal.retryAfter().toMillis())
                    .setPool(refusal.pool() == null ? "" : refusal.pool());
            if (refusal.keyId() != null) {
                refused.setKeyId(refusal.keyId());
            }
            if (refusal.limit() != null) {
                refused.setLimit(refusal.limit());
            }
            reply.setRefused(refused);
        } else {
            AcquireOutcome.Failed f = (AcquireOutcome.Failed) outcome;
            reply.setError(ErrorReply.newBuilder().setCode(f.code().name()).setMessage(f.message()));
        }
        return reply.build();
    }

    private AcquireReply acquireError(String requestId, ErrorCode code, String message) {
        return AcquireReply.newBuilder().setRequestId(requestId).setHubId(hubId)
                .setError(ErrorReply.newBuilder().setCode(code.name()).setMessage(message)).build();
    }

    private void reply(Message msg, AcquireReply reply) {
        reply(msg, reply.toByteArray());
    }

    void onSettle(Message msg) {
        SettleRequest request;
        try {
            request = SettleRequest.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            reply(msg, settleError("", ErrorCode.BAD_REQUEST, "malformed SettleRequest: not a protobuf message").toByteArray());
            return;
        }
        Instant deadline = request.getDeadlineEpochMs() > 0 ? Instant.ofEpochMilli(request.getDeadlineEpochMs()) : null;
        SettleCommand cmd = new SettleCommand(request.getRequestId(), request.getLeaseId(), request.getAgentId(),
                request.getTokensUsed(), LedgerEvents.fromProto(request.getOutcome()),
                Duration.ofMillis(request.getRetryAfterMs()), request.getDetail(), deadline);
        settle.settle(cmd).whenComplete((outcome, error) -> {
            SettleReply reply;
            if (error != null) {
                reply = settleError(request.getRequestId(), ErrorCode.INTERNAL, "internal error");
            } else if (outcome instanceof SettleOutcome.Settled s) {
                reply = SettleReply.newBuilder().setRequestId(request.getRequestId()).setHubId(hubId).setSettled(s.firstTime()).build();
            } else {
                SettleOutcome.Failed f = (SettleOutcome.Failed) outcome;
                reply = settleError(request.getRequestId(), f.code(), f.message());
            }
            reply(msg, reply.toByteArray());
        });
    }

    private SettleReply settleError(String requestId, ErrorCode code, String message) {
        return SettleReply.newBuilder().setRequestId(requestId).setHubId(hubId)
                .setError(ErrorReply.newBuilder().setCode(code.name()).setMessage(message)).build();
    }

    void onHeartbeat(Message msg) {
        try {
            Heartbeat hb = Heartbeat.parseFrom(msg.getData());
            if (!hb.getAgentId().isBlank()) {
                agents.heartbeat(hb.getAgentId(), List.copyOf(hb.getLeaseIdsList()));
            }
        } catch (InvalidProtocolBufferException e) {
            LOG.debug("ignored a malformed heartbeat on {}", msg.getSubject());
        }
    }

    private void reply(Message msg, byte[] bytes) {
        if (msg.getReplyTo() != null) {
            connection.publish(msg.getReplyTo(), bytes);
        }
    }

    @Override
    public void close() {
        if (acquires != null) {
            connection.closeDispatcher(acquires);
        }
        if (settles != null) {
            connection.closeDispatcher(settles);
        }
    }
}
