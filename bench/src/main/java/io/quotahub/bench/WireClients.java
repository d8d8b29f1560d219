package io.quotahub.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The hub's NATS protocol spoken directly, without the SDK: the same acquire and settle messages on
 * the same subjects (queue subject for the acquire, the granting hub's direct subject for the
 * settle), each on one of {@code count} connections round-robin, with no retries, routing or
 * timers of its own. It is the cheapest generator that still makes the hub do a whole durable
 * acquire + settle, so it shows what the hub can do when the load generator, which shares the
 * same 2 cores, costs as little as raw NATS requests do.
 */
final class WireClients implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<Connection> connections = new ArrayList<>();
    private final String agentId = "bench-wire";
    private final String idPrefix = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36) + "-";
    private final AtomicLong requests = new AtomicLong();
    final AtomicLong settled = new AtomicLong();
    final AtomicLong settleFailed = new AtomicLong();
    final AtomicLong settleQueued = new AtomicLong();
    /** Acquires not granted, by refusal or error code (e.g. OVERLOADED: the hub shed it). */
    final Map<String, LongAdder> notGranted = new ConcurrentSkipListMap<>();

    WireClients(String natsUrl, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            connections.add(Nats.connect(new Options.Builder().server(natsUrl).connectionName("bench-wire-" + i).build()));
        }
    }

    /** One acquire ({@code tokens} 1); completes when granted, then settles the lease (1 token used, OK). */
    CompletableFuture<?> send(long i) {
        Connection c = connections.get((int) (i % connections.size()));
        byte[] acquire = AcquireRequest.newBuilder()
                .setRequestId(idPrefix + requests.incrementAndGet())
                .setAgentId(agentId)
                .setPool(HubTarget.POOL)
                .setTokens(1)
                .setPriority(Priority.NORMAL)
                .setDeadlineEpochMs(System.currentTimeMillis() + TIMEOUT.toMillis())
                .build().toByteArray();
        return c.requestWithTimeout(Subjects.ACQUIRE, acquire, TIMEOUT).thenApply(msg -> {
            AcquireReply reply = parse(msg.getData());
            if (!reply.hasGranted()) {
                String code = reply.hasRefused() ? reply.getRefused().getRefusalCode().name()
                        : reply.getError().getErrorCode().name();
                notGranted.computeIfAbsent(code, k -> new LongAdder()).increment();
                throw new IllegalStateException("not granted: " + code);
            }
            settle(c, reply);
            return reply;
        });
    }

    private void settle(Connection c, AcquireReply grant) {
        byte[] settle = SettleRequest.newBuilder()
                .setRequestId(idPrefix + requests.incrementAndGet())
                .setLeaseId(grant.getGranted().getLeaseId())
                .setLeaseSecret(grant.getGranted().getLeaseSecret())
                .setAgentId(agentId)
                .setTokensUsed(1)
                .setOutcome(Outcome.OK)
                .setDeadlineEpochMs(System.currentTimeMillis() + TIMEOUT.toMillis())
                .build().toByteArray();
        settleQueued.incrementAndGet();
        c.requestWithTimeout(Subjects.hubSettle(grant.getHubId()), settle, TIMEOUT).whenComplete((msg, e) -> {
            boolean ok = false;
            if (e == null) {
                try {
                    ok = !SettleReply.parseFrom(msg.getData()).hasError();
                } catch (InvalidProtocolBufferException bad) {
                    ok = false;
                }
            }
            (ok ? settled : settleFailed).incrementAndGet();
            settleQueued.decrementAndGet();
        });
    }

    private static AcquireReply parse(byte[] data) {
        try {
            return AcquireReply.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("unparsable AcquireReply", e);
        }
    }

    /** The not-granted counts so far, e.g. {@code {OVERLOADED=22}}, and clears them. */
    String takeNotGranted() {
        String s = notGranted.toString();
        notGranted.clear();
        return s;
    }

    /** Waits until every settle sent was answered (at most {@code within}). */
    void awaitSettles(Duration within) {
        BenchHubs.awaitZero(settleQueued, within);
    }

    @Override
    public void close() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
    }
}
