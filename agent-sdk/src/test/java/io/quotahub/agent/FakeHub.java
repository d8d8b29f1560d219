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

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
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
 * reply (as real hubs do), and announces itself on {@link Subjects#HUBS}. Grants carry a lease
 * secret ({@link #secretOf(String)}, the same on every fake hub, as real hubs share the secret's hash
 * through their ledgers) and a settle without it is answered {@code FORBIDDEN}.
 */
final class FakeHub implements AutoCloseable {

    static final Duration ANNOUNCE_EVERY = Duration.ofMillis(200);
    /** Key of this test run's lease secrets: a secret cannot be derived from the lease id alone. */
    private static final byte[] SECRET_KEY = randomKey();

    /** A request as the hub received it, with the subject it came on. */
    record Received<T>(String subject, T request) {
    }

    final String id;
    final List<Received<AcquireRequest>> acquires = new CopyOnWriteArrayList<>();
    final List<String> acquireReplySubjects = new CopyOnWriteArrayList<>();
    final List<Received<SettleRequest>> settles = new CopyOnWriteArrayList<>();

    private final Connection connection;
    private final ScheduledExecutorService announcer;
    private final Map<String, AcquireReply> answered = new ConcurrentHashMap<>();
    private final AtomicInteger leases = new AtomicInteger();
    private final java.util.Set<String> settledLeases = ConcurrentHashMap.newKeySet();
    private volatile Function<AcquireRequest, AcquireReply.Builder> acquireHandler = this::grant;
    private volatile Function<SettleRequest, SettleReply.Builder> settleHandler = this::settle;
    private volatile boolean hung;

    private FakeHub(String url, String id, boolean joinQueue) throws Exception {
        this(new io.nats.client.Options.Builder().server(url).build(), id, joinQueue);
    }

    private FakeHub(io.nats.client.Options options, String id, boolean joinQueue) throws Exception {
        this.id = id;
        this.connection = Nats.connect(options);
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

    /** A fake hub on a connection with these options (credentials, TLS). */
    static FakeHub start(io.nats.client.Options options, String id) throws Exception {
        return new FakeHub(options, id, true);
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

    private static byte[] randomKey() {
        byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        return key;
    }

    /** The lease secret a fake hub grants with {@code leaseId}: 128 bits, base64url. */
    static String secretOf(String leaseId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET_KEY, "HmacSHA256"));
            byte[] digest = mac.doFinal(leaseId.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 16));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces how acquires are answered; a handler returning null does not answer. */
    FakeHub onAcquire(Function<AcquireRequest, AcquireReply.Builder> handler) {
        this.acquireHandler = handler;
        return this;
    }

    /** Replaces how settles are answered (after they are recorded). */
    FakeHub onSettle(Function<SettleRequest, SettleReply.Builder> handler) {
        this.settleHandler = handler;
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
        String leaseId = id + "-lease-" + leases.incrementAndGet();
        return AcquireReply.newBuilder().setGranted(Granted.newBuilder()
                .setLeaseId(leaseId)
                .setLeaseSecret(secretOf(leaseId))
                .setPool(r.getPool())
                .setKeyId("key-1")
                .setApiKey(apiKeyOf(id))
                .setTokens(r.getTokens())
                .setExpiresAtEpochMs(System.currentTimeMillis() + 60_000));
    }

    static AcquireReply.Builder refuse(long retryAfterMs) {
        return AcquireReply.newBuilder().setRefused(Refused.newBuilder()
                .setRefusalCode(Refused.Code.QUOTA_EXHAUSTED)
                .setReason("requests 2/PT1M of key key-1 used up")
                .setRetryAfterMs(retryAfterMs)
                .setPool("demo")
                .setKeyId("key-1")
                .setLimit("requests 2/PT1M"));
    }

    static AcquireReply.Builder error(String code, String message) {
        return AcquireReply.newBuilder().setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.valueOf(code)).setMessage(message));
    }

    /** As real hubs: FORBIDDEN without the lease's secret, else settled (false for a repeated settle). */
    SettleReply.Builder settle(SettleRequest r) {
        if (!secretOf(r.getLeaseId()).equals(r.getLeaseSecret())) {
            return settleError("FORBIDDEN", "lease " + r.getLeaseId() + " is not settled without its secret");
        }
        return SettleReply.newBuilder().setSettled(settledLeases.add(r.getLeaseId()));
    }

    static SettleReply.Builder settleError(String code, String message) {
        return SettleReply.newBuilder().setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.valueOf(code)).setMessage(message));
    }

    private void onAcquire(Message msg) {
        AcquireRequest request;
        try {
            request = AcquireRequest.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        acquires.add(new Received<>(msg.getSubject(), request));
        acquireReplySubjects.add(msg.getReplyTo());
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
        SettleReply.Builder reply = settleHandler.apply(request);
        if (reply == null) {
            return;
        }
        connection.publish(msg.getReplyTo(), reply.setRequestId(request.getRequestId()).setHubId(id).build().toByteArray());
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
