package io.quotahub.hub;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.Entrance;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Refused;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Granted;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
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

import java.io.IOException;
import java.net.http.HttpResponse;
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
import static org.awaitility.Awaitility.await;

/**
 * The attacks of a hostile (or buggy) agent, each tried over NATS and over HTTP against a real hub
 * and nats-server: each gets a clear refusal and changes nothing, and the hub keeps serving.
 */
class HostileInputTest {

    private static final String SECRET = "sk-hostile-input-test-0001";
    private static final long TEN_YEARS_MS = 315_360_000_000L;

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection client;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        Path s = secretFile(dir, "k", SECRET);
        Map<String, Object> pools = new HashMap<>();
        for (String tpm : List.of("tpm-nats", "tpm-http")) {
            pools.put(tpm, Map.of("preset", "PREMIUM", "max-tokens-per-call", 2000,
                    "keys", List.of(key(tpm + "-k", s, List.of(tokens(1000, "1m"))))));
        }
        pools.put("percall", Map.of("max-tokens-per-call", 500, "keys", List.of(key("p1", s, List.of(tokens(10_000, "1m"))))));
        pools.put("guarded", Map.of("keys", List.of(key("g1", s, List.of(requests(1000, "1h"))))));
        pools.put("vip", Map.of("high-priority-agents", List.of("vip-*"), "keys", List.of(key("v1", s, List.of(requests(1000, "1h"))))));
        pools.put("reports", Map.of("preset", "PREMIUM", "keys", List.of(key("r1", s, List.of(requests(1000, "1h"))))));
        pools.put("fair", Map.of("max-open-leases-per-agent", 1, "keys", List.of(key("f1", s, List.of(requests(1000, "1h"))))));
        hub = TestHub.start(nats, "main", pools, Map.of("quotahub.agent-dead-after", "1s"));
        client = Nats.connect(nats.url());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        hub.close();
        nats.close();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static AcquireRequest.Builder acquireRequest(String pool, long tokens, String agent) {
        return AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId(agent).setPool(pool)
                .setTokens(tokens).setPriority(Priority.NORMAL).setDeadlineEpochMs(System.currentTimeMillis() + 5_000);
    }

    private static AcquireReply acquire(AcquireRequest request) throws Exception {
        Message reply = client.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5));
        assertThat(reply).as("reply").isNotNull();
        return AcquireReply.parseFrom(reply.getData());
    }

    private static Granted grant(String pool, long tokens, String agent) throws Exception {
        AcquireReply reply = acquire(acquireRequest(pool, tokens, agent).build());
        assertThat(reply.hasGranted()).as(reply.toString()).isTrue();
        return reply.getGranted();
    }

    private static SettleRequest.Builder settleRequest(Granted lease, long tokensUsed) {
        return SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setLeaseId(lease.getLeaseId())
                .setLeaseSecret(lease.getLeaseSecret()).setAgentId("agent").setTokensUsed(tokensUsed).setOutcome(Outcome.OK)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000);
    }

    private static SettleReply settle(SettleRequest request) throws Exception {
        Message reply = client.request(Subjects.SETTLE, request.toByteArray(), Duration.ofSeconds(5));
        assertThat(reply).as("reply").isNotNull();
        return SettleReply.parseFrom(reply.getData());
    }

    private static Map<String, Object> json(HttpResponse<String> response) {
        try {
            return hub.bean(JsonMapper.class).readValue(response.body(), Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    private static HttpResponse<String> httpAcquire(String pool, long tokens, String agent) {
        return hub.post("/api/v1/acquire", "{\"pool\":\"" + pool + "\",\"tokens\":" + tokens + ",\"agentId\":\"" + agent + "\"}");
    }

    /** The lease handle ({@code <lease id>.<secret>}) of a granted HTTP acquire. */
    private static String handle(HttpResponse<String> granted) {
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        return json(granted).get("leaseId").toString();
    }

    private static String leaseIdOf(String handle) {
        return handle.substring(0, handle.lastIndexOf('.'));
    }

    private static HttpResponse<String> complete(String handle, String body) {
        return hub.post("/api/v1/leases/" + handle + "/complete", body);
    }

    private static QuotaEngine engine() {
        return hub.bean(QuotaEngine.class);
    }

    private static boolean open(String leaseId) {
        return engine().openLease(leaseId).isPresent();
    }

    private static KeyView keyView(String pool, String keyId) {
        return engine().view().pools().stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow()
                .keys().stream().filter(k -> k.id().equals(keyId)).findFirst().orElseThrow();
    }

    private static long rejected(Entrance entrance, RejectReason reason) {
        return hub.bean(GuardMetrics.class).rejectedCount(entrance, reason);
    }

    // ---- one settle must not break a token limit -------------------------------------------------

    @Test
    void overflowingSettleOverNats_isRefusedAndTheKeyStillAdmitsExactlyItsTokensPerMinute() throws Exception {
        Granted first = grant("tpm-nats", 250, "overflow");
        long before = rejected(Entrance.NATS_SETTLE, RejectReason.TOKENS_ABOVE_BOUND);

        SettleReply maxValue = settle(settleRequest(first, Long.MAX_VALUE).build());
        SettleReply aboveBound = settle(settleRequest(first, 2001).build());

        assertThat(maxValue.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(maxValue.getError().getMessage())
                .isEqualTo("tokensUsed " + Long.MAX_VALUE + " exceeds the bound 2000 of pool tpm-nats (max-tokens-per-call)");
        assertThat(aboveBound.getError().getMessage()).contains("tokensUsed 2001 exceeds the bound 2000");
        assertThat(open(first.getLeaseId())).as("nothing changed: the lease is still open").isTrue();
        assertThat(rejected(Entrance.NATS_SETTLE, RejectReason.TOKENS_ABOVE_BOUND) - before).isEqualTo(2);

        assertThat(settle(settleRequest(first, 250).build()).getSettled()).isTrue();
        for (int i = 0; i < 3; i++) {
            grant("tpm-nats", 250, "overflow");
        }
        AcquireReply fifth = acquire(acquireRequest("tpm-nats", 250, "overflow").build());
        assertThat(fifth.hasRefused()).as("1000 tokens per minute, and not one more: " + fifth).isTrue();
        assertThat(fifth.getRefused().getRefusalCode()).isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
        assertThat(acquire(acquireRequest("tpm-nats", 1, "overflow").build()).hasRefused()).isTrue();
    }

    @Test
    void acquireAboveMaxTokensPerCall_isABadRequestNotARefusalToWaitOn() throws Exception {
        AcquireReply reply = acquire(acquireRequest("percall", 501, "big-asker").build());

        assertThat(reply.getError().getErrorCode()).as(reply.toString()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(reply.getError().getMessage()).isEqualTo("tokens 501 exceed the bound 500 of pool 'percall' (max-tokens-per-call)");
        assertThat(engine().openLeases()).noneMatch(l -> l.pool().equals("percall"));
        assertThat(acquire(acquireRequest("percall", 500, "big-asker").build()).hasGranted()).isTrue();
    }

    @Test
    void overflowingCompleteOverHttp_isRefusedAndTheKeyStillAdmitsExactlyItsTokensPerMinute() {
        String lease = handle(httpAcquire("tpm-http", 250, "overflow"));

        HttpResponse<String> overflow = complete(lease, "{\"tokensUsed\":9223372036854775807,\"outcome\":\"OK\"}");

        assertThat(overflow.statusCode()).isEqualTo(400);
        assertThat(json(overflow)).containsEntry("error", "bad_request")
                .containsEntry("message", "tokensUsed 9223372036854775807 exceeds the bound 2000 of pool tpm-http (max-tokens-per-call)");
        assertThat(open(leaseIdOf(lease))).isTrue();

        assertThat(complete(lease, "{\"tokensUsed\":250,\"outcome\":\"OK\"}").statusCode()).isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            handle(httpAcquire("tpm-http", 250, "overflow"));
        }
        HttpResponse<String> fifth = httpAcquire("tpm-http", 250, "overflow");
        assertThat(fifth.statusCode()).as(fifth.body()).isEqualTo(429);
        assertThat(json(fifth)).containsEntry("code", "QUOTA_EXHAUSTED");
    }

    @Test
    void negativeRetryAfterIsABadRequestAndAHugeOneIsAccepted() throws Exception {
        Granted lease = grant("guarded", 1, "cooler");

        SettleReply negative = settle(settleRequest(lease, 1).setOutcome(Outcome.RATE_LIMITED).setRetryAfterMs(-1).build());

        assertThat(negative.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(negative.getError().getMessage()).contains("retryAfterMs");
        assertThat(open(lease.getLeaseId())).isTrue();
        // a huge Retry-After is the provider's word: accepted (the engine clamps the cooldown, see HostileRestartTest);
        // settled with ERROR here so that this shared pool's key stays usable
        assertThat(settle(settleRequest(lease, 1).setOutcome(Outcome.ERROR).setRetryAfterMs(TEN_YEARS_MS).build()).getSettled()).isTrue();
    }

    // ---- the provider's report: bounded like every field, and a bad one changes nothing ------------

    private static io.quotahub.proto.ProviderReport.Builder report(io.quotahub.proto.ProviderLimit.Builder... limits) {
        io.quotahub.proto.ProviderReport.Builder r = io.quotahub.proto.ProviderReport.newBuilder();
        for (io.quotahub.proto.ProviderLimit.Builder l : limits) {
            r.addLimits(l);
        }
        return r;
    }

    private static io.quotahub.proto.ProviderLimit.Builder requestsLeft(long remaining) {
        return io.quotahub.proto.ProviderLimit.newBuilder().setKind(io.quotahub.proto.LimitKind.REQUESTS).setLimit(1000)
                .setRemaining(remaining).setResetAfterMs(60_000);
    }

    @Test
    void badProviderReportsOverNats_areBadRequestsAndChangeNothing() throws Exception {
        Granted lease = grant("reports", 1, "reporter");
        long usedBefore = keyView("reports", "r1").limits().get(0).used();
        io.quotahub.proto.ProviderLimit.Builder[] nine = new io.quotahub.proto.ProviderLimit.Builder[9];
        java.util.Arrays.setAll(nine, i -> requestsLeft(0));
        List<SettleRequest> bad = List.of(
                settleRequest(lease, 1).setProvider(report(requestsLeft(-1))).build(),
                settleRequest(lease, 1).setProvider(report(requestsLeft(0).setResetAfterMs(Long.MAX_VALUE))).build(),
                settleRequest(lease, 1).setProvider(report(requestsLeft(0).setLimit(LimitSpec.MAX_CAPACITY + 1))).build(),
                settleRequest(lease, 1).setProvider(report(requestsLeft(0).setKind(io.quotahub.proto.LimitKind.LIMIT_KIND_UNSPECIFIED))).build(),
                settleRequest(lease, 1).setProvider(report(requestsLeft(0).setKindValue(99))).build(),
                settleRequest(lease, 1).setProvider(report(nine)).build(),
                settleRequest(lease, 1).setProvider(report(requestsLeft(0)).setQuotaId("q".repeat(129))).build(),
                settleRequest(lease, 1).setCallDurationMs(-5).setProvider(report(requestsLeft(0))).build());

        for (SettleRequest request : bad) {
            SettleReply reply = settle(request);
            assertThat(reply.getError().getErrorCode()).as(request.toString()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        }

        assertThat(open(lease.getLeaseId())).isTrue();
        assertThat(keyView("reports", "r1").limits().get(0).used()).isEqualTo(usedBefore);
        assertThat(keyView("reports", "r1").externalBooked()).isZero();
        assertThat(keyView("reports", "r1").limits().get(0).observedLimit()).isNull();
        assertThat(settle(settleRequest(lease, 1).build()).getSettled()).as("an honest settle still goes through").isTrue();
    }

    @Test
    void badProviderReportsOverHttp_areBadRequestsAndChangeNothing() {
        String lease = handle(httpAcquire("reports", 1, "reporter"));
        String nine = String.join(",", java.util.Collections.nCopies(9, "{\"kind\":\"REQUESTS\",\"remaining\":0}"));
        List<String> bad = List.of(
                "{\"tokensUsed\":1,\"provider\":{\"limits\":[{\"kind\":\"REQUESTS\",\"remaining\":-1}]}}",
                "{\"tokensUsed\":1,\"provider\":{\"limits\":[{\"kind\":\"BOGUS\",\"remaining\":0}]}}",
                "{\"tokensUsed\":1,\"provider\":{\"limits\":[{\"remaining\":0}]}}",
                "{\"tokensUsed\":1,\"provider\":{\"limits\":[null]}}",
                "{\"tokensUsed\":1,\"provider\":{\"limits\":[" + nine + "]}}",
                "{\"tokensUsed\":1,\"provider\":{\"quotaId\":\"" + "q".repeat(129) + "\",\"limits\":[]}}",
                "{\"tokensUsed\":1,\"provider\":{\"limits\":[{\"kind\":\"TOKENS\",\"limit\":1000000000001}]}}",
                "{\"tokensUsed\":1,\"callDurationMs\":-1}",
                "{\"tokensUsed\":1,\"provider\":{\"limits\":\"all of them\"}}");

        for (String body : bad) {
            HttpResponse<String> r = complete(lease, body);
            assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(400);
        }

        assertThat(open(leaseIdOf(lease))).isTrue();
        assertThat(keyView("reports", "r1").externalBooked()).isZero();
        assertThat(keyView("reports", "r1").limits().get(0).observedLimit()).isNull();
        assertThat(complete(lease, "{\"tokensUsed\":1,\"outcome\":\"UNKNOWN\",\"provider\":{\"limits\":[]}}").statusCode())
                .isEqualTo(200);
    }

    @Test
    void unknownOutcome_overNatsAndHttp_isCountedAsUsedAndNeitherASuccessNorAFailure() throws Exception {
        Granted overNats = grant("guarded", 1, "unsure");
        String overHttp = handle(httpAcquire("guarded", 1, "unsure"));
        long errorsBefore = keyView("guarded", "g1").errors();
        long usedBefore = keyView("guarded", "g1").limits().get(0).used();

        assertThat(settle(settleRequest(overNats, 0).setOutcome(Outcome.UNKNOWN).build()).getSettled()).isTrue();
        assertThat(complete(overHttp, "{\"tokensUsed\":0,\"outcome\":\"UNKNOWN\"}").statusCode()).isEqualTo(200);

        assertThat(keyView("guarded", "g1").limits().get(0).used()).isEqualTo(usedBefore); // both stay counted, now settled
        assertThat(keyView("guarded", "g1").errors()).isEqualTo(errorsBefore);
        assertThat(open(overNats.getLeaseId())).isFalse();
        assertThat(open(leaseIdOf(overHttp))).isFalse();
    }

    // ---- only the holder settles its lease ---------------------------------------------------------

    @Test
    void forgedSettlesOverNats_withoutOrWithAWrongSecret_areForbiddenAndChangeNothing() throws Exception {
        Granted lease = grant("guarded", 1, "victim");
        long before = rejected(Entrance.NATS_SETTLE, RejectReason.FORBIDDEN);

        SettleReply noSecret = settle(settleRequest(lease, 1).clearLeaseSecret().setAgentId("victim").build());
        SettleReply wrongSecret = settle(settleRequest(lease, 1).setLeaseSecret("AAAAAAAAAAAAAAAAAAAAAA")
                .setOutcome(Outcome.AUTH_FAILED).build());

        for (SettleReply forged : List.of(noSecret, wrongSecret)) {
            assertThat(forged.getError().getErrorCode()).isEqualTo(ErrorReply.Code.FORBIDDEN);
            assertThat(forged.getError().getMessage()).isEqualTo("lease secret missing or wrong for lease " + lease.getLeaseId());
        }
        assertThat(open(lease.getLeaseId())).as("still open").isTrue();
        assertThat(keyView("guarded", "g1").disabled()).as("a forged AUTH_FAILED disables nothing").isFalse();
        assertThat(rejected(Entrance.NATS_SETTLE, RejectReason.FORBIDDEN) - before).isEqualTo(2);

        assertThat(settle(settleRequest(lease, 1).build()).getSettled()).as("its holder settles it").isTrue();
    }

    @Test
    void forgedCompletesOverHttp_withABareIdOrAWrongSecret_areForbiddenAndChangeNothing() {
        String lease = handle(httpAcquire("guarded", 1, "victim"));
        String leaseId = leaseIdOf(lease);

        HttpResponse<String> bare = complete(leaseId, "{\"tokensUsed\":1,\"outcome\":\"AUTH_FAILED\"}");
        HttpResponse<String> wrong = complete(leaseId + ".AAAAAAAAAAAAAAAAAAAAAA", "{\"tokensUsed\":1,\"outcome\":\"AUTH_FAILED\"}");

        assertThat(bare.statusCode()).isEqualTo(403);
        assertThat(json(bare)).containsEntry("error", "forbidden");
        assertThat(json(bare).get("message").toString()).contains("lease secret missing or wrong for lease " + leaseId)
                .contains("exactly as the acquire answered it");
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(open(leaseId)).isTrue();
        assertThat(keyView("guarded", "g1").disabled()).isFalse();

        HttpResponse<String> done = complete(lease, "{\"tokensUsed\":1,\"outcome\":\"OK\"}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(json(done)).containsEntry("leaseId", leaseId).containsEntry("settled", true);
    }

    @Test
    void forgedHeartbeatsNamingAnotherAgentsLeases_getNoneOfThemReclaimed() throws Exception {
        Granted lease = grant("guarded", 1, "hb-victim");
        GuardMetricsReading before = GuardMetricsReading.of(hub);

        client.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("mallory").setSentAtEpochMs(System.currentTimeMillis())
                .addLeases(LeaseProof.newBuilder().setLeaseId(lease.getLeaseId()).setLeaseSecret("AAAAAAAAAAAAAAAAAAAAAA"))
                .addLeases(LeaseProof.newBuilder().setLeaseId(lease.getLeaseId()).setLeaseSecret(lease.getLeaseSecret()))
                .addLeases(LeaseProof.newBuilder().setLeaseId("main-nope-1_x").setLeaseSecret("x"))
                .addLeaseIds(lease.getLeaseId())
                .build().toByteArray());
        client.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("hb-victim").setSentAtEpochMs(System.currentTimeMillis())
                .addLeases(LeaseProof.newBuilder().setLeaseId(lease.getLeaseId()).setLeaseSecret("AAAAAAAAAAAAAAAAAAAAAA"))
                .build().toByteArray());
        client.flush(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> hub.bean(HubRuntime.class).agents().all().containsKey("mallory"));
        assertThat(hub.bean(HubRuntime.class).agents().provenLeases("mallory")).isEmpty();

        // both forgers fall silent: they are dead within a second, and reclaimed
        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.bean(HubRuntime.class).agents().all().containsKey("mallory")
                && !hub.bean(HubRuntime.class).agents().all().containsKey("hb-victim"));
        assertThat(open(lease.getLeaseId())).as("not reclaimed on a forger's word").isTrue();
        GuardMetricsReading after = GuardMetricsReading.of(hub);
        assertThat(after.ignored("other_agent") - before.ignored("other_agent")).isEqualTo(2);
        assertThat(after.ignored("unknown_lease") - before.ignored("unknown_lease")).isEqualTo(1);
        assertThat(after.ignored("wrong_secret") - before.ignored("wrong_secret")).isEqualTo(1);
        assertThat(after.ignored("deprecated_lease_id") - before.ignored("deprecated_lease_id")).isEqualTo(1);

        // its holder's own proof, then silence: reclaimed
        client.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("hb-victim").setSentAtEpochMs(System.currentTimeMillis())
                .addLeases(LeaseProof.newBuilder().setLeaseId(lease.getLeaseId()).setLeaseSecret(lease.getLeaseSecret()))
                .build().toByteArray());
        client.flush(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> !open(lease.getLeaseId()));
    }

    // ---- bounded everything ----------------------------------------------------------------------

    @Test
    void overlongFieldsOverNats_areBadRequestsNamingTheFieldAndTheBound() throws Exception {
        long granted = engine().view().pools().stream().flatMap(p -> p.keys().stream()).mapToLong(KeyView::granted).sum();

        AcquireReply agent = acquire(acquireRequest("guarded", 1, "a".repeat(129)).build());
        AcquireReply agentMultiByte = acquire(acquireRequest("guarded", 1, "é".repeat(65)).build()); // 65 chars, 130 bytes
        AcquireReply requestId = acquire(acquireRequest("guarded", 1, "ok").setRequestId("r".repeat(129)).build());
        AcquireReply pool = acquire(acquireRequest("p".repeat(129), 1, "ok").build());

        assertThat(agent.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(agent.getError().getMessage())
                .isEqualTo("agentId is 129 bytes long, above the bound of 128 bytes (quotahub.max-field-bytes)");
        assertThat(agentMultiByte.getError().getMessage()).startsWith("agentId is 130 bytes long");
        assertThat(requestId.getError().getMessage()).startsWith("requestId is 129 bytes");
        assertThat(requestId.getRequestId()).as("an overlong field is not echoed").isEmpty();
        assertThat(pool.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(pool.getError().getMessage()).startsWith("pool is 129 bytes");
        assertThat(engine().view().pools().stream().flatMap(p -> p.keys().stream()).mapToLong(KeyView::granted).sum())
                .isEqualTo(granted);

        Granted lease = grant("guarded", 1, "detailed");
        SettleReply detail = settle(settleRequest(lease, 1).setOutcome(Outcome.ERROR).setDetail("d".repeat(129)).build());
        SettleReply leaseId = settle(settleRequest(lease, 1).setLeaseId("main-" + "x".repeat(200)).build());
        assertThat(detail.getError().getMessage()).startsWith("detail is 129 bytes");
        assertThat(leaseId.getError().getMessage()).startsWith("leaseId is 205 bytes");
        assertThat(open(lease.getLeaseId())).isTrue();
        assertThat(settle(settleRequest(lease, 1).build()).getSettled()).isTrue();
    }

    @Test
    void oversizedAndMalformedMessagesOverNats_areRefusedOrDroppedAndCountedAndTheHubKeepsServing() throws Exception {
        long tooLargeAcquires = rejected(Entrance.NATS_ACQUIRE, RejectReason.TOO_LARGE);
        long tooLargeHeartbeats = rejected(Entrance.NATS_HEARTBEAT, RejectReason.TOO_LARGE);
        long malformedHeartbeats = rejected(Entrance.NATS_HEARTBEAT, RejectReason.MALFORMED);
        long longAgentHeartbeats = rejected(Entrance.NATS_HEARTBEAT, RejectReason.FIELD_TOO_LONG);
        long droppedAcquires = rejected(Entrance.NATS_ACQUIRE, RejectReason.MALFORMED);

        AcquireReply huge = acquire(acquireRequest("guarded", 1, "x".repeat(300 * 1024)).build());
        Heartbeat.Builder bigHeartbeat = Heartbeat.newBuilder().setAgentId("flooder").setSentAtEpochMs(System.currentTimeMillis());
        for (int i = 0; i < 10_000; i++) {
            bigHeartbeat.addLeases(LeaseProof.newBuilder().setLeaseId("main-0-" + i + "_abcdefghijklm").setLeaseSecret("s".repeat(22)));
        }
        assertThat(bigHeartbeat.build().getSerializedSize()).isGreaterThan(256 * 1024);
        client.publish(Subjects.HEARTBEAT, bigHeartbeat.build().toByteArray());
        client.publish(Subjects.HEARTBEAT, new byte[] {0x0A, (byte) 0xFF, 0x01});
        client.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("a".repeat(129)).build().toByteArray());
        client.publish(Subjects.ACQUIRE, new byte[] {0x0A, (byte) 0xFF, 0x01}); // no reply subject: dropped
        client.flush(Duration.ofSeconds(1));

        assertThat(huge.getError().getErrorCode()).isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(huge.getError().getMessage()).contains("above the bound of 262144 bytes (quotahub.max-message-bytes)");
        assertThat(rejected(Entrance.NATS_ACQUIRE, RejectReason.TOO_LARGE) - tooLargeAcquires).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(rejected(Entrance.NATS_HEARTBEAT, RejectReason.TOO_LARGE) - tooLargeHeartbeats).isEqualTo(1);
            assertThat(rejected(Entrance.NATS_HEARTBEAT, RejectReason.MALFORMED) - malformedHeartbeats).isEqualTo(1);
            assertThat(rejected(Entrance.NATS_HEARTBEAT, RejectReason.FIELD_TOO_LONG) - longAgentHeartbeats).isEqualTo(1);
            assertThat(rejected(Entrance.NATS_ACQUIRE, RejectReason.MALFORMED) - droppedAcquires).isEqualTo(1);
        });
        assertThat(hub.bean(HubRuntime.class).agents().all()).doesNotContainKey("flooder");
        assertThat(hub.bean(HubRuntime.class).ready()).isTrue();
        assertThat(grant("guarded", 1, "after-the-flood").getLeaseId()).isNotEmpty();
    }

    @Test
    void overlongFieldsAndOversizedBodiesOverHttp_areBadRequests() {
        HttpResponse<String> agent = httpAcquire("guarded", 1, "a".repeat(129));
        HttpResponse<String> body = hub.post("/api/v1/acquire", "{\"pool\":\"guarded\",\"tokens\":1,\"agentId\":\"" + "x".repeat(300 * 1024) + "\"}");
        HttpResponse<String> leaseId = complete("main-" + "x".repeat(200) + ".secret", "{\"tokensUsed\":1,\"outcome\":\"OK\"}");
        HttpResponse<String> adminPool = hub.post("/api/v1/admin/keys/" + "p".repeat(200) + "/g1/reset", "");
        HttpResponse<String> adminKey = hub.post("/api/v1/admin/keys/guarded/" + "k".repeat(200) + "/enable", "");

        assertThat(agent.statusCode()).isEqualTo(400);
        assertThat(json(agent).get("message").toString()).startsWith("agentId is 129 bytes long");
        assertThat(body.statusCode()).isEqualTo(400);
        assertThat(json(body).get("message").toString()).contains("quotahub.max-message-bytes");
        assertThat(leaseId.statusCode()).isEqualTo(400);
        assertThat(json(leaseId).get("message").toString()).startsWith("leaseId is 205 bytes");
        assertThat(adminPool.statusCode()).isEqualTo(400);
        assertThat(json(adminPool).get("message").toString()).startsWith("pool is 200 bytes");
        assertThat(adminKey.statusCode()).isEqualTo(400);
        assertThat(hub.get("/health/readiness").statusCode()).isEqualTo(200);
    }

    // ---- fair share ------------------------------------------------------------------------------

    @Test
    void highPriorityFromAnAgentNotListed_isTakenAsNormalAndTheReplySaysSo() throws Exception {
        AcquireReply pleb = acquire(acquireRequest("vip", 1, "pleb").setPriority(Priority.HIGH).build());
        AcquireReply vip = acquire(acquireRequest("vip", 1, "vip-7").setPriority(Priority.HIGH).build());
        HttpResponse<String> overHttp = hub.post("/api/v1/acquire", "{\"pool\":\"vip\",\"tokens\":1,\"agentId\":\"pleb\",\"priority\":\"HIGH\"}");

        assertThat(pleb.hasGranted()).isTrue();
        assertThat(pleb.getNotice()).contains("priority HIGH is reserved").contains("high-priority-agents").contains("NORMAL");
        assertThat(engine().openLease(pleb.getGranted().getLeaseId())).map(LeaseRecord::priority).contains(io.quotahub.engine.Priority.NORMAL);
        assertThat(vip.getNotice()).isEmpty();
        assertThat(engine().openLease(vip.getGranted().getLeaseId())).map(LeaseRecord::priority).contains(io.quotahub.engine.Priority.HIGH);
        assertThat(overHttp.statusCode()).isEqualTo(200);
        assertThat(json(overHttp).get("notice").toString()).contains("taken as NORMAL");
    }

    @Test
    void anAgentAtItsShareIsRefusedWithAgentLimitWhileOthersAreServed() throws Exception {
        grant("fair", 1, "greedy");

        AcquireReply second = acquire(acquireRequest("fair", 1, "greedy").build());
        HttpResponse<String> overHttp = httpAcquire("fair", 1, "greedy");
        AcquireReply other = acquire(acquireRequest("fair", 1, "modest").build());

        assertThat(second.hasRefused()).as(second.toString()).isTrue();
        assertThat(second.getRefused().getRefusalCode()).isEqualTo(Refused.Code.AGENT_LIMIT);
        assertThat(second.getRefused().getRetryAfterMs()).isPositive();
        assertThat(overHttp.statusCode()).as(overHttp.body()).isEqualTo(429);
        assertThat(json(overHttp)).containsEntry("code", "AGENT_LIMIT");
        assertThat(other.hasGranted()).isTrue();
    }

    /** The heartbeat-proof counters of the hub's Prometheus page. */
    private record GuardMetricsReading(String text) {

        static GuardMetricsReading of(TestHub hub) {
            return new GuardMetricsReading(hub.get("/prometheus").body());
        }

        double ignored(String reason) {
            for (String line : text.split("\n")) {
                if (line.startsWith("quotahub_heartbeat_proofs_ignored_total{") && line.contains("reason=\"" + reason + "\"")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            throw new AssertionError("no quotahub_heartbeat_proofs_ignored_total for reason " + reason);
        }
    }
}
