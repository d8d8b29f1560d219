package io.quotahub.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Granted;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.Refused;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A stand-in hub for SDK tests, on a real NATS connection: answers acquire and settle requests
 * with protobuf replies, remembers every request, answers a duplicate request id with its first
 * reply (as real hubs do), and announces itself on {@link Subjects#HUBS}.
 */
final class FakeHub implements AutoCloseable {

    static final Duration ANNOUNCE_EVERY = Duration.ofMillis(200);

    /** A request as the hub received it, with the subject it came on. */
    record Received<T>(String subject, T request) {
    }

    final String id;
    final List<Received<AcquireRequest>> acquires = new CopyOnWriteArrayList<>();
    final List<Received<SettleRequest>> settles = new CopyOnWriteArrayList<>();

    private final Connection connection;
    private final ScheduledExecutorService announcer;
    private final Map<String, AcquireReply> answered = new ConcurrentHashMap<>();
    private final AtomicInteger leases = new AtomicInteger();
    private volatile Function<AcquireRequest, AcquireReply.Builder> acquireHandler = this::grant;
    private volatile boolean hung;

    private FakeHub(String url, String id, boolean joinQueue) throws Exception {
        this.id = id;
        this.connection = Nats.connect(url);
        Dispatcher d = connection.createDispatcher();
        if (joinQueue) {
            d.subscribe(Subjects.ACQUIRE, Subjects.HUB_QUEUE, this::onAcquire);
            d.subscribe(Subjects.SETTLE, Subjects.HUB_QUEUE, this::onSettle);
        }
        d.subscribe(Subjects.hubAcquire(id), this::onAcquire);
        d.subscribe(Subjects.hubSettle(id), this::onSettle);
        connection.flush(Duration.ofSeconds(2));
        announcer = Executors.newSingleThreadScheduledExecutor();
        announcer.scheduleAtFixedRate(this::announce, 0, ANNOUNCE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A hub in the queue group and on its direct subjects (the agent's local hub). */
    static FakeHub start(String url, String id) throws Exception {
        return new FakeHub(url, id, true);
    }

    /**
     * A hub reachable only on its direct subjects: how the remote hub looks to an agent whose
     * local hub is alive (NATS prefers local queue subscribers over leafnode ones).
     */
    static FakeHub startDirectOnly(String url, String id) throws Exception {
        return new FakeHub(url, id, false);
    }

    static String apiKeyOf(String hubId) {
        return "sk-test-" + hubId + "-secret-0001abcd";
    }

    /** Replaces how acquires are answered; a handler returning null does not answer. */
    FakeHub onAcquire(Function<AcquireRequest, AcquireReply.Builder> handler) {
        this.acquireHandler = handler;
        return this;
    }

    /** Stops answering and announcing, keeping the subscriptions (a SIGSTOPped hub on 2.9.10). */
    void hang() {
        hung = true;
    }

    /** Answers and announces again. */
    void resume() {
        hung = false;
        announce();
    }

    AcquireReply.Builder grant(AcquireRequest r) {
        return AcquireReply.newBuilder().setGranted(Granted.newBuilder()
                .setLeaseId(id + "-lease-" + leases.incrementAndGet())
                .setPool(r.getPool())
                .setKeyId("key-1")
                .setApiKey(apiKeyOf(id))
                .setTokens(r.getTokens())
                .setExpiresAtEpochMs(System.currentTimeMillis() + 60_000));
    }

    static AcquireReply.Builder refuse(long retryAfterMs) {
        return AcquireReply.newBuilder().setRefused(Refused.newBuilder()
                .setCode("QUOTA_EXHAUSTED")
                .setReason("requests 2/PT1M of key key-1 used up")
                .setRetryAfterMs(retryAfterMs)
                .setPool("demo")
                .setKeyId("key-1")
                .setLimit("requests 2/PT1M"));
    }

    static AcquireReply.Builder error(String code, String message) {
        return AcquireReply.newBuilder().setError(ErrorReply.newBuilder().setCode(code).setMessage(message));
    }

    private void onAcquire(Message msg) {
        AcquireRequest request;
        try {
            request = AcquireRequest.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        acquires.add(new Received<>(msg.getSubject(), request));
        if (hung) {
            return;
        }
        AcquireReply reply = answered.get(request.getRequestId());
        if (reply == null) {
            AcquireReply.Builder b = acquireHandler.apply(request);
            if (b == null) {
                return;
            }
            reply = b.setRequestId(request.getRequestId()).setHubId(id).build();
            answered.put(request.getRequestId(), reply);
        }
        connection.publish(msg.getReplyTo(), reply.toByteArray());
    }

    private void onSettle(Message msg) {
        SettleRequest request;
        try {
            request = SettleRequest.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        settles.add(new Received<>(msg.getSubject(), request));
        if (hung) {
            return;
        }
        boolean first = settles.stream().filter(s -> s.request().getLeaseId().equals(request.getLeaseId())).count() == 1;
        connection.publish(msg.getReplyTo(), SettleReply.newBuilder()
                .setRequestId(request.getRequestId()).setHubId(id).setSettled(first).build().toByteArray());
    }

    private void announce() {
        if (hung) {
            return;
        }
        try {
            connection.publish(Subjects.HUBS, HubAnnouncement.newBuilder()
                    .setHubId(id).setSentAtEpochMs(System.currentTimeMillis()).setReady(true).build().toByteArray());
        } catch (RuntimeException closed) {
            // the hub is closing
        }
    }

    /** Requests received on {@code subject}. */
    long acquiresOn(String subject) {
        return acquires.stream().filter(r -> r.subject().equals(subject)).count();
    }

    @Override
    public void close() throws InterruptedException {
        announcer.shutdownNow();
        connection.close();
    }
}
