package io.quotahub.hub.service;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.nats.client.api.MessageInfo;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.hub.TestHub;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Refused;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Granted;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/** The hub's NATS API against a real nats-server: grants, refusals, and every kind of bad input. */
class NatsApiTest {

    private static final String SECRET_1 = "sk-test-demo-key-one-0001";
    private static final String SECRET_2 = "sk-test-demo-key-two-0002";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection client;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        Path s1 = secretFile(dir, "k1", SECRET_1);
        Path s2 = secretFile(dir, "k2", SECRET_2);
        Map<String, Object> pools = new HashMap<>();
        pools.put("demo", Map.of("keys", List.of(
                key("k1", s1, List.of(requests(100, "1h"), tokens(10_000, "1h"))),
                key("k2", s2, List.of(requests(100, "1h"), tokens(10_000, "1h"))))));
        pools.put("tiny", Map.of("keys", List.of(key("t1", s1, List.of(requests(2, "1h"))))));
        hub = TestHub.start(nats, "main", pools);
        client = Nats.connect(nats.url());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        hub.close();
        nats.close();
    }

    private static AcquireRequest.Builder request(String pool, long tokens) {
        return AcquireRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setAgentId("test-agent")
                .setPool(pool)
                .setTokens(tokens)
                .setPriority(Priority.NORMAL)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000);
    }

    private static AcquireReply acquire(AcquireRequest request) throws Exception {
        return acquire(Subjects.ACQUIRE, request.toByteArray());
    }

    private static AcquireReply acquire(String subject, byte[] body) throws Exception {
        Message reply = client.request(subject, body, Duration.ofSeconds(5));
        assertThat(reply).as("reply to " + subject).isNotNull();
        return AcquireReply.parseFrom(reply.getData());
    }

    private static SettleReply settle(SettleRequest request) throws Exception {
        Message reply = client.request(Subjects.SETTLE, request.toByteArray(), Duration.ofSeconds(5));
        return SettleReply.parseFrom(reply.getData());
    }

    private static KeyView keyView(String pool, String keyId) {
        PoolView p = hub.bean(QuotaEngine.class).view().pools().stream().filter(v -> v.name().equals(pool)).findFirst().orElseThrow();
        return p.keys().stream().filter(k -> k.id().equals(keyId)).findFirst().orElseThrow();
    }

    private static long granted(String pool) {
        PoolView p = hub.bean(QuotaEngine.class).view().pools().stream().filter(v -> v.name().equals(pool)).findFirst().orElseThrow();
        return p.keys().stream().mapToLong(KeyView::granted).sum();
    }

    @Test
    void acquire_grantsALeaseWithTheKeySecretOnlyAfterItIsInTheLedger() throws Exception {
        AcquireReply reply = acquire(request("demo", 100).build());

        assertThat(reply.hasGranted()).as(reply.toString()).isTrue();
        assertThat(reply.getGranted().getLeaseSecret()).as("128 random bits, base64url").matches("[A-Za-z0-9_-]{22}");
        assertThat(reply.getNotice()).isEmpty();
        assertThat(reply.getHubId()).isEqualTo("main");
        assertThat(reply.getGranted().getApiKey()).isIn(SECRET_1, SECRET_2);
        assertThat(reply.getGranted().getExpiresAtEpochMs()).isGreaterThan(System.currentTimeMillis());
        String leaseId = reply.getGranted().getLeaseId();
        MessageInfo last = client.jetStreamManagement().getLastMessage(Subjects.ledgerStream("main"), Subjects.ledgerEvents("main"));
        assertThat(LedgerBatch.parseFrom(last.getData()).getEventsList()).anySatisfy(e -> {
            assertThat(e.getGrant().getLeaseId()).isEqualTo(leaseId);
            assertThat(e.getGrant().getSecretHash()).as("only the secret's SHA-256 is in the ledger")
                    .isEqualTo(LeaseSecret.digestOf(reply.getGranted().getLeaseSecret()))
                    .isNotEqualTo(reply.getGranted().getLeaseSecret());
        });
    }

    @Test
    void acquire_onTheHubsDirectSubjectIsServedToo() throws Exception {
        AcquireReply reply = acquire(Subjects.hubAcquire("main"), request("demo", 1).build().toByteArray());

        assertThat(reply.hasGranted()).isTrue();
    }

    @Test
    void acquire_overTheLimitIsRefusedWithTheLimitAndARetryTime() throws Exception {
        AcquireRequest probe = request("tiny", 1).build();
        acquire(probe);
        acquire(request("tiny", 1).build());

        AcquireReply third = acquire(request("tiny", 1).build());

        assertThat(third.hasRefused()).as(third.toString()).isTrue();
        assertThat(third.getRefused().getRefusalCode()).isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
        assertThat(third.getRefused().getKeyId()).isEqualTo("t1");
        assertThat(third.getRefused().getLimit()).isEqualTo("requests 2/PT1H");
        assertThat(third.getRefused().getRetryAfterMs()).isPositive();
        assertThat(third.getRefused().getReason()).contains("t1").doesNotContain(SECRET_1);
    }

    @Test
    void acquire_malformedProtobufIsABadRequestAndChangesNothing() throws Exception {
        long before = granted("demo");

        AcquireReply reply = acquire(Subjects.ACQUIRE, new byte[] {0x0A, (byte) 0xFF, 0x01});

        assertThat(reply.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(reply.getError().getMessage()).contains("malformed");
        assertThat(granted("demo")).isEqualTo(before);
    }

    @Test
    void acquire_unknownPoolIsRefusedByName() throws Exception {
        AcquireReply reply = acquire(request("nope", 1).build());

        assertThat(reply.getError().getErrorCode()).isEqualTo(ErrorReply.Code.UNKNOWN_POOL);
        assertThat(reply.getError().getMessage()).contains("nope").contains("demo");
    }

    @Test
    void acquire_tokensZeroNegativeOrAboveTheLargestLimitAreBadRequestsAndChangeNothing() throws Exception {
        long before = granted("demo");

        for (long tokens : new long[] {0, -5, 10_001}) {
            AcquireReply reply = acquire(request("demo", tokens).build());
            assertThat(reply.getError().getErrorCode()).as("tokens " + tokens).isEqualTo(ErrorReply.Code.BAD_REQUEST);
            assertThat(reply.getError().getMessage()).contains("tokens");
        }
        assertThat(granted("demo")).isEqualTo(before);
        assertThat(keyView("demo", "k1").inFlight() + keyView("demo", "k2").inFlight())
                .isEqualTo(hub.bean(QuotaEngine.class).view().pools().stream().filter(p -> p.name().equals("demo")).findFirst().orElseThrow().inFlight());
    }

    @Test
    void acquire_pastOrMissingDeadlineIsRefusedWithoutAGrant() throws Exception {
        long before = granted("demo");

        AcquireReply past = acquire(request("demo", 1).setDeadlineEpochMs(System.currentTimeMillis() - 1_000).build());
        AcquireReply missing = acquire(request("demo", 1).clearDeadlineEpochMs().build());

        assertThat(past.getError().getErrorCode()).isEqualTo(ErrorReply.Code.DEADLINE_EXCEEDED);
        assertThat(missing.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(granted("demo")).isEqualTo(before);
    }

    @Test
    void acquire_duplicateRequestIdIsAnsweredWithTheOriginalLeaseNotASecondGrant() throws Exception {
        AcquireRequest request = request("demo", 10).build();
        AcquireReply first = acquire(request);
        long afterFirst = granted("demo");

        AcquireReply again = acquire(request);

        assertThat(again.getGranted().getLeaseId()).isEqualTo(first.getGranted().getLeaseId());
        assertThat(again.getGranted().getLeaseSecret()).as("the same secret").isEqualTo(first.getGranted().getLeaseSecret());
        assertThat(granted("demo")).isEqualTo(afterFirst);
    }

    @Test
    void settle_completesOnceAndAnswersARetryWithoutChangingAnything() throws Exception {
        Granted granted = acquire(request("demo", 100).build()).getGranted();
        String leaseId = granted.getLeaseId();
        SettleRequest settle = SettleRequest.newBuilder().setRequestId("s-" + leaseId).setLeaseId(leaseId)
                .setLeaseSecret(granted.getLeaseSecret())
                .setAgentId("test-agent").setTokensUsed(120).setOutcome(Outcome.OK)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();

        SettleReply first = settle(settle);
        SettleReply second = settle(settle);

        assertThat(first.getSettled()).as(first.toString()).isTrue();
        assertThat(second.getSettled()).isFalse();
        assertThat(second.hasError()).isFalse();
        assertThat(hub.bean(QuotaEngine.class).openLease(leaseId)).isEmpty();
    }

    @Test
    void settle_unknownLeaseAndMalformedInputAreClearErrors() throws Exception {
        SettleReply unknown = settle(SettleRequest.newBuilder().setRequestId("x").setLeaseId("main-nope")
                .setAgentId("a").setOutcome(Outcome.OK).build());
        Message malformed = client.request(Subjects.SETTLE, new byte[] {0x12, (byte) 0xFF}, Duration.ofSeconds(5));
        SettleReply negative = settle(SettleRequest.newBuilder().setRequestId("y").setLeaseId("main-nope")
                .setAgentId("a").setTokensUsed(-1).build());

        assertThat(unknown.getError().getErrorCode()).isEqualTo(ErrorReply.Code.UNKNOWN_LEASE);
        assertThat(unknown.getError().getMessage()).contains("main-nope");
        assertThat(SettleReply.parseFrom(malformed.getData()).getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(negative.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
    }

    @Test
    void hub_announcesItselfForAgents() throws Exception {
        Subscription sub = client.subscribe(Subjects.HUBS);
        Message msg = sub.nextMessage(Duration.ofSeconds(3));
        sub.unsubscribe();

        HubAnnouncement announcement = HubAnnouncement.parseFrom(msg.getData());
        assertThat(announcement.getHubId()).isEqualTo("main");
        assertThat(announcement.getReady()).isTrue();
    }
}
