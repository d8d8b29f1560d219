package io.quotahub.hub.api;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the HTTP API offers agents in other languages, on a real hub and nats-server: the waiting
 * acquire, heartbeats with lease handles, and the peer's URL in the state.
 */
class HttpAgentApiTest {

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;

    @BeforeAll
    static void start() {
        nats = NatsServer.start();
        Path secret = secretFile(dir, "k", "sk-http-agent-test-4242");
        hub = TestHub.start(nats, "main", Map.of(
                "brief", Map.of("keys", List.of(key("b1", secret, List.of(requests(1, "2s"))))),
                "hourly", Map.of("keys", List.of(key("h1", secret, List.of(requests(1, "1h"))))),
                "open", Map.of("keys", List.of(key("o1", secret, List.of(requests(1000, "1m")))))),
                Map.of("quotahub.http.max-wait", "5s", "quotahub.agent-dead-after", "1s",
                        "quotahub.peer-http-url", "http://pc2:9100", "quotahub.thermal.zone-bounds", List.of(30, 50, 70, 90)));
    }

    @AfterAll
    static void stop() {
        hub.close();
        nats.close();
    }

    private static Map<String, Object> json(HttpResponse<String> response) {
        try {
            return hub.bean(JsonMapper.class).readValue(response.body(), Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    private static String acquire(String pool, String agent, String requestId, long maxWaitMs) {
        return "{\"pool\":\"" + pool + "\",\"tokens\":1,\"agentId\":\"" + agent + "\",\"requestId\":\"" + requestId
                + "\",\"maxWaitMs\":" + maxWaitMs + "}";
    }

    private static void complete(Map<String, Object> lease) {
        HttpResponse<String> done = hub.post("/api/v1/leases/" + lease.get("leaseId") + "/complete", "{\"tokensUsed\":1}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    }

    @Test
    void aWaitingAcquire_isGrantedWhenTheWindowFrees_insteadOf429() {
        HttpResponse<String> first = hub.post("/api/v1/acquire", acquire("brief", "w", UUID.randomUUID().toString(), 0));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        complete(json(first));
        HttpResponse<String> atOnce = hub.post("/api/v1/acquire", acquire("brief", "w", UUID.randomUUID().toString(), 0));
        assertThat(atOnce.statusCode()).as(atOnce.body()).isEqualTo(429);

        HttpResponse<String> waited = hub.post("/api/v1/acquire", acquire("brief", "w", UUID.randomUUID().toString(), 4000));

        assertThat(waited.statusCode()).as(waited.body()).isEqualTo(200);
        assertThat(json(waited)).containsEntry("keyId", "b1");
        complete(json(waited));
    }

    @Test
    void aRetryOfAWaitingRequestId_getsTheSameLease() {
        HttpResponse<String> first = hub.post("/api/v1/acquire", acquire("brief", "r", UUID.randomUUID().toString(), 0));
        String requestId = UUID.randomUUID().toString();
        String body = acquire("brief", "r", requestId, 4000);

        CompletableFuture<HttpResponse<String>> one = CompletableFuture.supplyAsync(() -> hub.post("/api/v1/acquire", body));
        CompletableFuture<HttpResponse<String>> two = CompletableFuture.supplyAsync(() -> hub.post("/api/v1/acquire", body));
        if (first.statusCode() == 200) {
            complete(json(first));
        }

        assertThat(one.join().statusCode()).as(one.join().body()).isEqualTo(200);
        assertThat(two.join().statusCode()).as(two.join().body()).isEqualTo(200);
        assertThat(json(one.join()).get("leaseId")).isEqualTo(json(two.join()).get("leaseId"));
        complete(json(one.join()));
    }

    @Test
    void aWaitAboveTheBound_isClampedAndTheAnswerSaysSo() {
        complete(json(hub.post("/api/v1/acquire", acquire("hourly", "c", UUID.randomUUID().toString(), 0))));

        // the window ends in an hour: refused once the clamped 5 s are spent
        HttpResponse<String> refused = hub.post("/api/v1/acquire", acquire("hourly", "c", UUID.randomUUID().toString(), 600_000));

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(json(refused).get("notice").toString()).contains("clamped").contains("quotahub.http.max-wait").contains("5000");
        assertThat(hub.post("/api/v1/acquire", acquire("hourly", "c", "x", -1)).statusCode()).isEqualTo(400);
    }

    @Test
    void heartbeats_keepAnAgentsLeasesFromBeingReclaimed_andASilentAgentsAreReclaimed() {
        Map<String, Object> kept = json(hub.post("/api/v1/acquire", acquire("open", "beating", UUID.randomUUID().toString(), 0)));
        Map<String, Object> lost = json(hub.post("/api/v1/acquire", acquire("open", "silent", UUID.randomUUID().toString(), 0)));
        QuotaEngine engine = hub.bean(QuotaEngine.class);
        String keptId = LeaseHandle.parse(kept.get("leaseId").toString()).leaseId();
        String lostId = LeaseHandle.parse(lost.get("leaseId").toString()).leaseId();

        HttpResponse<String> beat = hub.post("/api/v1/agents/beating/heartbeat", "{\"leases\":[\"" + kept.get("leaseId") + "\"]}");
        HttpResponse<String> once = hub.post("/api/v1/agents/silent/heartbeat", "{\"leases\":[\"" + lost.get("leaseId") + "\"]}");
        assertThat(beat.statusCode()).as(beat.body()).isEqualTo(200);
        assertThat(json(beat)).containsEntry("alive", true).containsEntry("held", 1).containsEntry("ignored", 0);
        assertThat(json(once)).containsEntry("held", 1);

        long until = System.nanoTime() + Duration.ofMillis(3500).toNanos();
        while (System.nanoTime() < until) { // "beating" keeps beating past agent-dead-after (1 s); "silent" does not
            hub.post("/api/v1/agents/beating/heartbeat", "{\"leases\":[\"" + kept.get("leaseId") + "\"]}");
            sleep(300);
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> engine.openLease(lostId).isEmpty());
        assertThat(engine.openLease(keptId)).isPresent();
        complete(kept);
    }

    @Test
    void aHeartbeatWithWrongSecretsOrAnotherAgentsLeases_changesNothing() {
        Map<String, Object> lease = json(hub.post("/api/v1/acquire", acquire("open", "owner", UUID.randomUUID().toString(), 0)));
        LeaseHandle handle = LeaseHandle.parse(lease.get("leaseId").toString());

        HttpResponse<String> forged = hub.post("/api/v1/agents/owner/heartbeat",
                "{\"leases\":[\"" + handle.leaseId() + ".AAAAAAAAAAAAAAAAAAAAAA\",\"" + handle.leaseId() + "\",\"nope.x\"]}");
        HttpResponse<String> thief = hub.post("/api/v1/agents/thief/heartbeat", "{\"leases\":[\"" + lease.get("leaseId") + "\"]}");

        assertThat(json(forged)).containsEntry("held", 0).containsEntry("ignored", 2);
        assertThat(json(thief)).containsEntry("held", 0).containsEntry("ignored", 1);
        assertThat(hub.bean(io.quotahub.hub.service.AgentRegistry.class).provenLeases("thief")).isEmpty();
        assertThat(hub.post("/api/v1/agents/owner/heartbeat", "{\"leases\":7}").statusCode()).isEqualTo(400);
        assertThat(hub.post("/api/v1/agents/owner/heartbeat", "not json").statusCode()).isEqualTo(400);
        assertThat(hub.post("/api/v1/agents/" + "a".repeat(300) + "/heartbeat", "{}").statusCode()).isEqualTo(400);
        String tooMany = "{\"leases\":[" + "\"x.y\",".repeat(5000) + "\"x.y\"]}";
        HttpResponse<String> many = hub.post("/api/v1/agents/owner/heartbeat", tooMany);
        assertThat(many.statusCode()).isEqualTo(400);
        assertThat(json(many).get("message").toString()).contains("at most");
        complete(lease);
    }

    @Test
    void state_namesThePeersHttpUrl_andTheConfiguredZoneBounds() {
        HttpResponse<String> state = hub.get("/api/v1/state");

        assertThat(state.statusCode()).isEqualTo(200);
        assertThat(json(state)).containsEntry("peerHttpUrl", "http://pc2:9100")
                .containsEntry("zoneBounds", List.of(30.0, 50.0, 70.0, 90.0));
    }

    @Test
    void hubs_namesThisHubAndWhereThePeerAnswers() {
        HttpResponse<String> hubs = hub.get("/api/v1/hubs");

        assertThat(hubs.statusCode()).isEqualTo(200);
        assertThat(json(hubs)).containsEntry("hubId", "main").containsEntry("ready", true)
                .containsEntry("peerHttpUrl", "http://pc2:9100");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
