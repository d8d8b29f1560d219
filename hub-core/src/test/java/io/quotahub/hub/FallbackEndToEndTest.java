package io.quotahub.hub;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.quotahub.agent.AcquireOptions;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.PoolRefusal;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Refused;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fallback pools end to end, on a hub with a real nats-server: the wire fields of a grant from a
 * fallback and of a refusal that tried several pools, the ledger's grant, the SDK's lease and
 * exception and its per-call opt-out, and the HTTP API's JSON.
 */
class FallbackEndToEndTest {

    private static final String PRIMARY_SECRET = "sk-fallback-e2e-primary-01";
    private static final String SPARE_SECRET = "sk-fallback-e2e-spare-0002";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection raw;
    static QuotaClient client;

    /** Each test uses pools of its own: "<name>" (1 request an hour) falls back to "<name>-spare" (1 an hour). */
    @BeforeAll
    static void start() {
        nats = NatsServer.start();
        Map<String, Object> pools = new LinkedHashMap<>();
        for (String name : List.of("wire", "sdk", "optout", "http", "hostile")) {
            pools.put(name, Map.of("fallback", List.of(name + "-spare"),
                    "keys", List.of(key("p1", secretFile(dir, name + "p", PRIMARY_SECRET), List.of(requests(1, "1h"))))));
            pools.put(name + "-spare", Map.of("keys", List.of(key("s1", secretFile(dir, name + "s", SPARE_SECRET),
                    List.of(requests(1, "1h"))))));
        }
        hub = TestHub.start(nats, "main", pools);
        raw = connect();
        client = QuotaClient.builder().servers(nats.url()).agentId("fallback-agent")
                .userPasswordFile(nats.credentials(NatsServer.AGENT)).build();
    }

    private static Connection connect() {
        try {
            return Nats.connect(nats.url());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        raw.close();
        hub.close();
        nats.close();
    }

    private static AcquireReply acquire(String pool, boolean noFallback) throws Exception {
        AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("wire-agent")
                .setPool(pool).setTokens(1).setPriority(Priority.NORMAL).setDeadlineEpochMs(System.currentTimeMillis() + 5_000)
                .setNoFallback(noFallback).build();
        Message reply = raw.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5));
        assertThat(reply).isNotNull();
        return AcquireReply.parseFrom(reply.getData());
    }

    @Test
    void overNats_aGrantFromTheFallbackNamesItsPoolAndKey_andARefusalListsEveryPoolTried() throws Exception {
        AcquireReply first = acquire("wire", false);
        AcquireReply fromSpare = acquire("wire", false);
        AcquireReply refused = acquire("wire", false);

        assertThat(first.getGranted().getPool()).isEqualTo("wire");
        assertThat(first.getGranted().getRequestedPool()).isEmpty();
        assertThat(fromSpare.hasGranted()).as(fromSpare.toString()).isTrue();
        assertThat(fromSpare.getGranted().getPool()).isEqualTo("wire-spare");
        assertThat(fromSpare.getGranted().getKeyId()).isEqualTo("s1");
        assertThat(fromSpare.getGranted().getApiKey()).isEqualTo(SPARE_SECRET);
        assertThat(fromSpare.getGranted().getRequestedPool()).isEqualTo("wire");
        assertThat(fromSpare.getGranted().getPassedOverList()).extracting(PoolRefusal::getPool).containsExactly("wire");
        assertThat(fromSpare.getGranted().getPassedOver(0).getRefusalCode()).isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
        assertThat(refused.hasRefused()).as(refused.toString()).isTrue();
        assertThat(refused.getRefused().getTriedList()).extracting(PoolRefusal::getPool).containsExactly("wire", "wire-spare");
        assertThat(refused.getRefused().getTriedList()).extracting(PoolRefusal::getRefusalCode).containsOnly(Refused.Code.QUOTA_EXHAUSTED);
        // the ledger holds the grant under the pool that granted it (both hubs fold it there)
        MessageInfo last = raw.jetStreamManagement().getLastMessage(Subjects.ledgerStream("main"), Subjects.ledgerEvents("main"));
        String leaseId = fromSpare.getGranted().getLeaseId();
        assertThat(hub.bean(io.quotahub.engine.QuotaEngine.class).openLease(leaseId)).hasValueSatisfying(
                l -> assertThat(l.pool()).isEqualTo("wire-spare"));
        assertThat(LedgerBatch.parseFrom(last.getData()).getEventsList())
                .anySatisfy(e -> assertThat(e.getGrant().getLeaseId() + " " + e.getGrant().getPool()).isEqualTo(leaseId + " wire-spare"));
    }

    @Test
    void theSdksLease_saysWhichPoolItCameFrom_andItsRefusalListsEveryPoolTried() {
        try (Lease primary = client.acquire("sdk", 1, Duration.ofSeconds(2))) {
            assertThat(primary.pool()).isEqualTo("sdk");
            assertThat(primary.requestedPool()).isEqualTo("sdk");
        }
        try (Lease spare = client.acquire("sdk", 1, Duration.ofSeconds(2))) {
            assertThat(spare.pool()).isEqualTo("sdk-spare");
            assertThat(spare.requestedPool()).isEqualTo("sdk");
            assertThat(spare.keyId()).isEqualTo("s1");
            assertThat(spare.apiKey()).isEqualTo(SPARE_SECRET);
        }
        assertThatThrownBy(() -> client.acquire("sdk", 1, Duration.ZERO))
                .isInstanceOfSatisfying(QuotaExhaustedException.class, e -> {
                    assertThat(e.tried()).extracting(QuotaExhaustedException.PoolRefusal::pool).containsExactly("sdk", "sdk-spare");
                    assertThat(e.getMessage()).contains("pools tried: sdk (QUOTA_EXHAUSTED) sdk-spare (QUOTA_EXHAUSTED)");
                });
    }

    @Test
    void anSdkCallWithoutFallback_getsThePrimarysRefusal_andTheSpareStaysFree() throws Exception {
        client.acquire("optout", 1, Duration.ofSeconds(2)).close();

        assertThatThrownBy(() -> client.acquire("optout", 1, Duration.ZERO, AcquireOptions.defaults().withoutFallback()))
                .isInstanceOfSatisfying(QuotaExhaustedException.class, e -> {
                    assertThat(e.pool()).isEqualTo("optout");
                    assertThat(e.code()).isEqualTo("QUOTA_EXHAUSTED");
                    assertThat(e.tried()).isEmpty();
                });
        AcquireReply wire = acquire("optout", true);
        assertThat(wire.getRefused().getPool()).isEqualTo("optout");
        assertThat(wire.getRefused().getTriedList()).isEmpty();
        try (Lease spare = client.acquire("optout", 1, Duration.ZERO)) {
            assertThat(spare.pool()).as("the opted-out calls left the spare's one request").isEqualTo("optout-spare");
        }
    }

    @Test
    void overHttp_theLeaseNamesItsPool_aRefusalListsThePoolsTried_andFallbackFalseOptsOut() {
        HttpResponse<String> first = hub.post("/api/v1/acquire", "{\"pool\":\"http\",\"tokens\":1,\"agentId\":\"curl\"}");
        HttpResponse<String> optedOut = hub.post("/api/v1/acquire",
                "{\"pool\":\"http\",\"tokens\":1,\"agentId\":\"curl\",\"fallback\":false}");
        HttpResponse<String> spare = hub.post("/api/v1/acquire", "{\"pool\":\"http\",\"tokens\":1,\"agentId\":\"curl\"}");
        HttpResponse<String> refused = hub.post("/api/v1/acquire", "{\"pool\":\"http\",\"tokens\":1,\"agentId\":\"curl\"}");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(json(first)).containsEntry("pool", "http").doesNotContainKey("requestedPool");
        assertThat(optedOut.statusCode()).isEqualTo(429);
        assertThat(json(optedOut)).containsEntry("pool", "http").doesNotContainKey("tried");
        assertThat(spare.statusCode()).isEqualTo(200);
        assertThat(json(spare)).containsEntry("pool", "http-spare").containsEntry("keyId", "s1").containsEntry("requestedPool", "http");
        assertThat(refused.statusCode()).isEqualTo(429);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tried = (List<Map<String, Object>>) json(refused).get("tried");
        assertThat(tried).extracting(t -> t.get("pool")).containsExactly("http", "http-spare");
        assertThat(tried).extracting(t -> t.get("code")).containsOnly("QUOTA_EXHAUSTED");
    }

    @Test
    void hostileFallbackFields_areBoundedOrRefused_andChangeNothing() throws Exception {
        long before = hub.bean(io.quotahub.engine.QuotaEngine.class).view().openLeases();
        HttpResponse<String> notABoolean = hub.post("/api/v1/acquire", "{\"pool\":\"hostile\",\"tokens\":1,\"fallback\":\"no\"}");
        assertThat(notABoolean.statusCode()).as(notABoolean.body()).isEqualTo(400);
        assertThat(hub.bean(io.quotahub.engine.QuotaEngine.class).view().openLeases()).isEqualTo(before);

        client.acquire("hostile", 1, Duration.ofSeconds(2)).close(); // the pool's one request this hour
        for (long waitUntil : new long[] {Long.MAX_VALUE, Long.MIN_VALUE, -1, 1}) {
            AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("wire-agent")
                    .setPool("hostile").setTokens(1).setPriority(Priority.NORMAL)
                    .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).setNoFallback(true).setWaitUntilEpochMs(waitUntil).build();
            AcquireReply reply = AcquireReply.parseFrom(raw.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5)).getData());
            assertThat(reply.hasRefused()).as("wait until %d: %s", waitUntil, reply).isTrue();
            assertThat(reply.getRefused().getPool()).isEqualTo("hostile");
        }
        // a wait that never ends only keeps the pool asked for: its refusal, never an error or a second lease
        AcquireRequest forever = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("wire-agent")
                .setPool("hostile").setTokens(1).setPriority(Priority.NORMAL)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).setWaitUntilEpochMs(Long.MAX_VALUE).build();
        AcquireReply kept = AcquireReply.parseFrom(raw.request(Subjects.ACQUIRE, forever.toByteArray(), Duration.ofSeconds(5)).getData());
        assertThat(kept.hasGranted() ? kept.getGranted().getPool() : kept.getRefused().getPool()).isIn("hostile", "hostile-spare");
    }

    private static Map<String, Object> json(HttpResponse<String> response) {
        try {
            return hub.bean(JsonMapper.class).readValue(response.body(), Argument.mapOf(String.class, Object.class));
        } catch (Exception e) {
            throw new IllegalStateException(response.body(), e);
        }
    }
}
