package io.quotahub.hub.service;

import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.hub.metrics.Entrance;
import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.quotahub.hub.metrics.AcquireLatency;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
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
 * wait for the ledger, an acquire is refused at once with code {@code OVERLOADED} and a
 * retry-after. Queueing instead let requests wait past the SDK's attempt timeout, so every grant
 * was wasted work and retries doubled the load: acknowledged throughput collapsed from ≈ 5 000/s
 * to ≈ 200/s when 10 000/s were offered (docs/benchmarks.md section 4).
 *
 * <p>Hostile input never gets further than this class can check: a message above
 * {@link InputBounds#maxMessageBytes()} is answered BAD_REQUEST without being parsed, a malformed
 * one BAD_REQUEST, and no handler lets an exception out into the dispatcher (it is counted and
 * answered INTERNAL). A rejected message without a reply subject (every heartbeat) is dropped;
 * every rejection is counted by entrance and reason.
 *
 * <p>Every message is translated by the {@link WireMapper}, both ways; what it carries is validated
 * by {@link AcquireService} and {@link SettleService}, as for HTTP. This class checks only what is
 * particular to NATS: the message's size, that it parses, and that an acquire carries a deadline.
 *
 * <p>The requester's identity is the NATS user whose agent inbox the reply subject is in
 * ({@link Principals#ofReply}): the servers let each agent user read only its own inbox, so the
 * reply subject says who can read the answer. The agent id in the message is only what the agent
 * declares.
 *
 * <p>One class for the three entrances on purpose: they share one set of bounds, shedding and reply
 * paths; split, each would repeat them.
 */
public final class NatsApi implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NatsApi.class);
    /** About 50–200 ms of work on a 2-core machine, well under the SDK's 750 ms attempt timeout. */
    public static final int DEFAULT_MAX_QUEUED_ACQUIRES = 1_000;
    /** A safeguard for a slow ledger: group commit keeps far fewer in flight at capacity. */
    public static final int DEFAULT_MAX_GRANTS_IN_FLIGHT = 5_000;
    static final long SHED_RETRY_AFTER_MS = AcquireService.OVERLOADED_RETRY_AFTER.toMillis();

    private final Connection connection;
    private final AcquireService acquire;
    private final SettleService settle;
    private final AgentRegistry agents;
    private final String hubId;
    private final AcquireLatency latency;
    private final InputBounds bounds;
    private final WireMapper wire;
    private final GuardMetrics metrics;
    private final int maxQueuedAcquires;
    private final int maxGrantsInFlight;
    private final AtomicInteger acquiresInFlight = new AtomicInteger();
    private Dispatcher acquires;
    private Dispatcher settles;

    public NatsApi(Connection connection, AcquireService acquire, SettleService settle, AgentRegistry agents,
                   String hubId, MeterRegistry registry, InputBounds bounds, GuardMetrics metrics) {
        this(connection, acquire, settle, agents, hubId, registry, bounds, metrics, DEFAULT_MAX_QUEUED_ACQUIRES,
                DEFAULT_MAX_GRANTS_IN_FLIGHT);
    }

    /** With explicit overload limits (tests use small ones). */
    public NatsApi(Connection connection, AcquireService acquire, SettleService settle, AgentRegistry agents,
                   String hubId, MeterRegistry registry, InputBounds bounds, GuardMetrics metrics,
                   int maxQueuedAcquires, int maxGrantsInFlight) {
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
        this.bounds = bounds;
        this.wire = new WireMapper(hubId, bounds);
        this.metrics = metrics;
        this.latency = new AcquireLatency(registry, hubId, AcquireLatency.NATS);
    }

    /** Acquires taken and not yet answered (a planned stop waits for their replies). */
    public int acquiresInFlight() {
        return acquiresInFlight.get();
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
        return wire.overloaded(request, "hub " + hubId + " is overloaded (" + queued + " acquires queued, " + inFlight
                + " grants awaiting the ledger); retry shortly or use another hub", SHED_RETRY_AFTER_MS);
    }

    void onAcquire(Message msg) {
        long start = System.nanoTime();
        try {
            handleAcquire(msg, start);
        } catch (RuntimeException e) {
            internal(Entrance.NATS_ACQUIRE, e);
            reply(msg, wire.acquireError("", ErrorCode.INTERNAL, "internal error"));
            latency.error(start);
        }
    }

    private void handleAcquire(Message msg, long start) {
        byte[] data = msg.getData() == null ? new byte[0] : msg.getData();
        String tooLarge = bounds.messageProblem("AcquireRequest", data.length);
        if (tooLarge != null) {
            rejected(Entrance.NATS_ACQUIRE, RejectReason.TOO_LARGE, msg, wire.acquireError("", ErrorCode.BAD_REQUEST, tooLarge));
            latency.error(start);
            return;
        }
        AcquireRequest request;
        try {
            request = AcquireRequest.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            rejected(Entrance.NATS_ACQUIRE, RejectReason.MALFORMED, msg,
                    wire.acquireError("", ErrorCode.BAD_REQUEST, "malformed AcquireRequest: not a protobuf message"));
            latency.error(start);
            return;
        }
        String requestId = wire.echo("requestId", request.getRequestId());
        if (request.getDeadlineEpochMs() <= 0) {
            rejected(Entrance.NATS_ACQUIRE, RejectReason.INVALID, msg,
                    wire.acquireError(requestId, ErrorCode.BAD_REQUEST, "deadline_epoch_ms is missing"));
            latency.error(start);
            return;
        }
        AcquireReply overloaded = shed(request);
        if (overloaded != null) {
            reply(msg, overloaded);
            latency.refused(start);
            return;
        }
        AcquireCommand cmd = wire.command(request, Principals.ofReply(msg.getReplyTo()));
        acquiresInFlight.incrementAndGet();
        try {
            acquire.acquire(cmd).whenComplete((outcome, error) -> {
                acquiresInFlight.decrementAndGet();
                try {
                    AcquireReply reply;
                    if (error != null) {
                        internal(Entrance.NATS_ACQUIRE, error);
                        reply = wire.acquireError(requestId, ErrorCode.INTERNAL, "internal error");
                    } else {
                        if (outcome instanceof AcquireOutcome.Failed f && f.reason() != null) {
                            metrics.rejected(Entrance.NATS_ACQUIRE, f.reason());
                        }
                        reply = wire.reply(request, outcome);
                    }
                    reply(msg, reply);
                    if (reply.hasGranted()) {
                        latency.granted(start);
                    } else if (reply.hasRefused()) {
                        latency.refused(start);
                    } else {
                        latency.error(start);
                    }
                } catch (RuntimeException e) {
                    internal(Entrance.NATS_ACQUIRE, e);
                    reply(msg, wire.acquireError(requestId, ErrorCode.INTERNAL, "internal error"));
                }
            });
        } catch (RuntimeException e) {
            acquiresInFlight.decrementAndGet();
            throw e;
        }
    }

    private void reply(Message msg, AcquireReply reply) {
        reply(msg, reply.toByteArray());
    }

    void onSettle(Message msg) {
        try {
            handleSettle(msg);
        } catch (RuntimeException e) {
            internal(Entrance.NATS_SETTLE, e);
            reply(msg, wire.settleError("", ErrorCode.INTERNAL, "internal error").toByteArray());
        }
    }

    private void handleSettle(Message msg) {
        byte[] data = msg.getData() == null ? new byte[0] : msg.getData();
        String tooLarge = bounds.messageProblem("SettleRequest", data.length);
        if (tooLarge != null) {
            rejected(Entrance.NATS_SETTLE, RejectReason.TOO_LARGE, msg, wire.settleError("", ErrorCode.BAD_REQUEST, tooLarge).toByteArray());
            return;
        }
        SettleRequest request;
        try {
            request = SettleRequest.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            rejected(Entrance.NATS_SETTLE, RejectReason.MALFORMED, msg,
                    wire.settleError("", ErrorCode.BAD_REQUEST, "malformed SettleRequest: not a protobuf message").toByteArray());
            return;
        }
        String requestId = wire.echo("requestId", request.getRequestId());
        SettleCommand cmd = wire.command(request, Principals.ofReply(msg.getReplyTo()));
        settle.settle(cmd).whenComplete((outcome, error) -> {
            try {
                SettleReply reply;
                if (error != null) {
                    internal(Entrance.NATS_SETTLE, error);
                    reply = wire.settleError(requestId, ErrorCode.INTERNAL, "internal error");
                } else {
                    if (outcome instanceof SettleOutcome.Failed f && f.reason() != null) {
                        metrics.rejected(Entrance.NATS_SETTLE, f.reason());
                    }
                    reply = wire.reply(request, outcome);
                }
                reply(msg, reply.toByteArray());
            } catch (RuntimeException e) {
                internal(Entrance.NATS_SETTLE, e);
                reply(msg, wire.settleError(requestId, ErrorCode.INTERNAL, "internal error").toByteArray());
            }
        });
    }

    /** A heartbeat has no answer: a rejected one is dropped and counted. */
    void onHeartbeat(Message msg) {
        try {
            byte[] data = msg.getData() == null ? new byte[0] : msg.getData();
            if (bounds.messageProblem("Heartbeat", data.length) != null) {
                metrics.rejected(Entrance.NATS_HEARTBEAT, RejectReason.TOO_LARGE);
                return;
            }
            Heartbeat hb;
            try {
                hb = Heartbeat.parseFrom(data);
            } catch (InvalidProtocolBufferException e) {
                metrics.rejected(Entrance.NATS_HEARTBEAT, RejectReason.MALFORMED);
                return;
            }
            if (hb.getAgentId().isBlank()) {
                metrics.rejected(Entrance.NATS_HEARTBEAT, RejectReason.INVALID);
                return;
            }
            if (bounds.fieldProblem("agentId", hb.getAgentId()) != null) {
                metrics.rejected(Entrance.NATS_HEARTBEAT, RejectReason.FIELD_TOO_LONG);
                return;
            }
            List<AgentRegistry.Proof> proofs = new ArrayList<>(hb.getLeasesCount());
            for (LeaseProof p : hb.getLeasesList()) {
                proofs.add(new AgentRegistry.Proof(p.getLeaseId(), p.getLeaseSecret()));
            }
            @SuppressWarnings("deprecation")
            int deprecatedIds = hb.getLeaseIdsCount();
            agents.heartbeat(hb.getAgentId(), proofs, deprecatedIds);
        } catch (RuntimeException e) {
            internal(Entrance.NATS_HEARTBEAT, e);
        }
    }

    private void rejected(Entrance entrance, RejectReason reason, Message msg, AcquireReply reply) {
        rejected(entrance, reason, msg, reply.toByteArray());
    }

    private void rejected(Entrance entrance, RejectReason reason, Message msg, byte[] reply) {
        metrics.rejected(entrance, reason);
        reply(msg, reply);
    }

    private void internal(Entrance entrance, Throwable error) {
        metrics.rejected(entrance, RejectReason.INTERNAL);
        LOG.warn("hub {}: {} failed: {}", hubId, entrance.tag(), error.toString());
    }

    private void reply(Message msg, byte[] bytes) {
        String to = msg.getReplyTo();
        if (to != null && !to.isEmpty()) {
            try {
                connection.publish(to, bytes);
            } catch (RuntimeException e) { // e.g. the connection is closing: the requester times out
                LOG.debug("hub {}: reply to {} not sent: {}", hubId, msg.getSubject(), e.toString());
            }
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
