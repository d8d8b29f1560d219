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
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP API (JSON) that the dashboard and non-Java clients use, on a real hub and nats-server. */
class HttpApiTest {

    private static final String SECRET = "sk-http-test-secret-7777";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;

    @BeforeAll
    static void start() {
        nats = NatsServer.start();
        Path secret = secretFile(dir, "k1", SECRET);
        hub = TestHub.start(nats, "main", Map.of(
                "demo", Map.of("keys", List.of(key("k1", secret, List.of(requests(60, "1m"), tokens(100_000, "1m"))))),
                "tiny", Map.of("keys", List.of(key("t1", secret, List.of(requests(1, "1h"))))),
                "authy", Map.of("keys", List.of(key("a1", secret, List.of(requests(100, "1h")))))));
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

    @Test
    void acquire_grantsALeaseAndCompleteSettlesIt() {
        HttpResponse<String> granted = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":100,\"priority\":\"NORMAL\",\"agentId\":\"curl\"}");

        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        Map<String, Object> lease = json(granted);
        assertThat(lease).containsEntry("keyId", "k1").containsEntry("apiKey", SECRET).containsKeys("leaseId", "expiresAt");

        HttpResponse<String> done = hub.post("/api/v1/leases/" + lease.get("leaseId") + "/complete", "{\"tokensUsed\":120,\"outcome\":\"OK\"}");
        HttpResponse<String> again = hub.post("/api/v1/leases/" + lease.get("leaseId") + "/complete", "{\"tokensUsed\":120,\"outcome\":\"OK\"}");

        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(json(done)).containsEntry("settled", true);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again)).containsEntry("settled", false);
    }

    @Test
    void acquire_overTheLimitIs429WithRetryAfterAndTheReason() {
        hub.post("/api/v1/acquire", "{\"pool\":\"tiny\",\"tokens\":1,\"agentId\":\"curl\"}");

        HttpResponse<String> refused = hub.post("/api/v1/acquire", "{\"pool\":\"tiny\",\"tokens\":1,\"agentId\":\"curl\"}");

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
        Map<String, Object> body = json(refused);
        assertThat(body).containsEntry("error", "quota_exhausted").containsEntry("keyId", "t1");
        assertThat(((Number) body.get("retryAfterMs")).longValue()).isPositive();
        assertThat(body.get("reason").toString()).contains("t1");
    }

    @Test
    void badInputGetsAClearErrorAndChangesNothing() {
        String before = accounting();

        assertBadRequest(hub.post("/api/v1/acquire", "{not json"), "JSON");
        assertBadRequest(hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":0}"), "tokens");
        assertBadRequest(hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":-3}"), "tokens");
        assertBadRequest(hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":100001}"), "largest token limit");
        assertBadRequest(hub.post("/api/v1/acquire", "{\"pool\":\"demo\"}"), "tokens");
        assertBadRequest(hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"priority\":\"URGENT\"}"), "priority");
        assertBadRequest(hub.post("/api/v1/leases/x/complete", "[]"), "JSON");
        assertBadRequest(hub.post("/api/v1/leases/x/complete", "{\"tokensUsed\":1,\"outcome\":\"MAYBE\"}"), "outcome");
        HttpResponse<String> unknownPool = hub.post("/api/v1/acquire", "{\"pool\":\"nope\",\"tokens\":1}");
        HttpResponse<String> unknownLease = hub.post("/api/v1/leases/main-nope/complete", "{\"tokensUsed\":1,\"outcome\":\"OK\"}");

        assertThat(unknownPool.statusCode()).isEqualTo(404);
        assertThat(json(unknownPool)).containsEntry("error", "unknown_pool");
        assertThat(unknownLease.statusCode()).isEqualTo(404);
        assertThat(json(unknownLease)).containsEntry("error", "unknown_lease");
        assertThat(accounting()).isEqualTo(before);
    }

    /** Every counter and window of every key: what bad input must not change (thermal moves with time). */
    private static String accounting() {
        return hub.bean(QuotaEngine.class).view().pools().stream().flatMap(p -> p.keys().stream())
                .map(k -> k.id() + " granted=" + k.granted() + " refused=" + k.refused() + " inFlight=" + k.inFlight()
                        + " used=" + k.limits().stream().map(l -> l.used()).toList())
                .toList().toString();
    }

    private static void assertBadRequest(HttpResponse<String> response, String mentions) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response)).containsEntry("error", "bad_request");
        assertThat(json(response).get("message").toString()).contains(mentions);
    }

    @Test
    @SuppressWarnings("unchecked")
    void state_showsEveryLimitOfEveryKeyWithUseAndBudgetButNoSecret() {
        hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":10,\"agentId\":\"curl\"}");

        HttpResponse<String> response = hub.get("/api/v1/state");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).doesNotContain(SECRET);
        Map<String, Object> state = json(response);
        assertThat(state).containsEntry("hubId", "main").containsEntry("ready", true);
        List<Map<String, Object>> pools = (List<Map<String, Object>>) state.get("pools");
        Map<String, Object> demo = pools.stream().filter(p -> p.get("name").equals("demo")).findFirst().orElseThrow();
        Map<String, Object> k1 = ((List<Map<String, Object>>) demo.get("keys")).get(0);
        assertThat(k1).containsEntry("id", "k1").containsEntry("circuit", "CLOSED").containsKey("health");
        assertThat((Map<String, Object>) k1.get("thermal")).containsKeys("zone", "temperature");
        Map<String, Object> rpm = ((List<Map<String, Object>>) k1.get("limits")).get(0);
        assertThat(rpm).containsEntry("kind", "requests").containsEntry("per", "PT1M").containsEntry("budget", 60);
        assertThat(((Number) rpm.get("capacity")).longValue()).isEqualTo(60);
        assertThat(((Number) rpm.get("used")).longValue()).isPositive();
    }

    @Test
    void anAuthFailureDisablesTheKeyUntilAnOperatorEnablesItAgain() {
        HttpResponse<String> lease = hub.post("/api/v1/acquire", "{\"pool\":\"authy\",\"tokens\":1,\"agentId\":\"curl\"}");
        hub.post("/api/v1/leases/" + json(lease).get("leaseId") + "/complete", "{\"tokensUsed\":0,\"outcome\":\"AUTH_FAILED\"}");

        HttpResponse<String> whileDisabled = hub.post("/api/v1/acquire", "{\"pool\":\"authy\",\"tokens\":1,\"agentId\":\"curl\"}");
        HttpResponse<String> enabled = hub.post("/api/v1/admin/keys/authy/a1/enable", "");
        HttpResponse<String> unknown = hub.post("/api/v1/admin/keys/authy/nope/enable", "");
        HttpResponse<String> afterwards = hub.post("/api/v1/acquire", "{\"pool\":\"authy\",\"tokens\":1,\"agentId\":\"curl\"}");

        assertThat(whileDisabled.statusCode()).isEqualTo(429);
        assertThat(json(whileDisabled)).containsEntry("code", "KEY_DISABLED");
        assertThat(enabled.statusCode()).as(enabled.body()).isEqualTo(200);
        assertThat(json(enabled)).containsEntry("wasDisabled", true);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(afterwards.statusCode()).isEqualTo(200);
    }

    @Test
    void theDashboardPageIsServedAtTheRoot() {
        HttpResponse<String> page = hub.get("/");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(page.body()).contains("<title>QuotaHub</title>").contains("api/v1/state").doesNotContain(SECRET);
    }

    @Test
    void healthEndpointsAnswerAndPrometheusExportsLeaseCounters() {
        hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":10,\"agentId\":\"curl\"}");

        assertThat(hub.get("/health").statusCode()).isEqualTo(200);
        assertThat(hub.get("/health/liveness").statusCode()).isEqualTo(200);
        HttpResponse<String> readiness = hub.get("/health/readiness");
        assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
        HttpResponse<String> prometheus = hub.get("/prometheus");
        assertThat(prometheus.statusCode()).isEqualTo(200);
        assertThat(prometheus.body()).contains("quotahub_leases_granted_total{").contains("hub=\"main\"").doesNotContain(SECRET);
    }
}
