package io.quotahub.hub.security;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokenEntry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real hub with three tokens (AGENT, VIEWER, OPERATOR): who may call which route, and what a
 * stranger gets back. Every refusal is checked to have changed nothing.
 */
class HttpTokensTest {

    static final String AGENT = "agent-token-5f1c9e0b7a3d4e21";
    static final String VIEWER = "viewer-token-0c8b2d6f4a1e9357";
    static final String OPERATOR = "operator-token-9a7e3c5b1d2f4680";
    private static final String ACQUIRE = "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"sec\"}";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;

    @BeforeAll
    static void start() throws IOException {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys", List.of(
                        key("k1", secretFile(dir, "k1", "sk-tokens-test-secret-3131"), List.of(requests(100, "1h")))))),
                Map.of("quotahub.security.tokens", tokens(dir), "endpoints.all.sensitive", false));
    }

    /** The three entries, their tokens in files (with a trailing newline, as an editor leaves it). */
    static List<Map<String, Object>> tokens(Path dir) throws IOException {
        return List.of(
                tokenEntry("agents", "AGENT", Files.writeString(dir.resolve("agent.token"), AGENT + "\n")),
                tokenEntry("grafana", "viewer", Files.writeString(dir.resolve("viewer.token"), VIEWER + "\n")),
                tokenEntry("ops", "OPERATOR", Files.writeString(dir.resolve("ops.token"), OPERATOR)));
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

    private static long granted() {
        return hub.bean(io.quotahub.engine.QuotaEngine.class).view().pools().get(0).keys().get(0).granted();
    }

    @Test
    void anonymousAcquire_is401WithAJsonErrorAndGrantsNothing() {
        long before = granted();

        HttpResponse<String> r = hub.post("/api/v1/acquire", ACQUIRE);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(json(r)).containsEntry("error", "unauthorized").containsKey("message");
        assertThat(r.body()).doesNotContain("sk-tokens-test");
        assertThat(granted()).isEqualTo(before);
    }

    @Test
    void aWrongToken_gets401WithTheSameBodyAsAMissingOne_whateverItLooksLike() {
        String missing = hub.post("/api/v1/acquire", ACQUIRE).body();
        for (String wrong : List.of("agents", "ops", AGENT + "x", AGENT.substring(1), VIEWER.toUpperCase(), "x")) {
            HttpResponse<String> r = hub.post("/api/v1/acquire", ACQUIRE, wrong);
            assertThat(r.statusCode()).as(wrong).isEqualTo(401);
            assertThat(r.body()).as(wrong).isEqualTo(missing);
        }
        HttpResponse<String> state = hub.get("/api/v1/state", "grafana");
        assertThat(state.statusCode()).isEqualTo(401);
        assertThat(state.body()).isEqualTo(missing);
    }

    @Test
    void hostileAuthorizationHeaders_getTheSame401_andGrantNothing() {
        long before = granted();
        String missing = hub.post("/api/v1/acquire", ACQUIRE).body();
        List<String> headers = List.of("Bearer", "Bearer ", "bearer " + AGENT + "x", "Basic " + AGENT, AGENT, "Bearer " + AGENT + " " + AGENT,
                "Bearer " + "a".repeat(4000), "Bearer \u00e9\u00e8" + AGENT, "Bearer " + AGENT.substring(0, AGENT.length() - 1) + "\u0000");
        for (String header : headers) {
            java.net.http.HttpResponse<String> r;
            try {
                r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(hub.uri("/api/v1/acquire"))
                        .header("Content-Type", "application/json").header("Authorization", header)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(ACQUIRE)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (IllegalArgumentException e) {
                continue; // the client itself refuses the header value: it never reaches the hub
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
            assertThat(r.statusCode()).as(header.length() > 60 ? header.substring(0, 60) : header).isEqualTo(401);
            assertThat(r.body()).isEqualTo(missing);
        }
        assertThat(granted()).isEqualTo(before);
    }

    @Test
    void anAgentToken_acquiresAndCompletes_butEveryAdminRouteAndTheStateAre403() {
        HttpResponse<String> lease = hub.post("/api/v1/acquire", ACQUIRE, AGENT);
        assertThat(lease.statusCode()).as(lease.body()).isEqualTo(200);
        HttpResponse<String> done = hub.post("/api/v1/leases/" + json(lease).get("leaseId") + "/complete",
                "{\"tokensUsed\":1,\"outcome\":\"AUTH_FAILED\"}", AGENT);
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);

        for (String admin : List.of("/api/v1/admin/keys/demo/k1/reset", "/api/v1/admin/keys/demo/k1/enable",
                "/api/v1/admin/peer/declare-dead", "/api/v1/admin/config/reload", "/api/v1/admin/keys/demo/k1/rotate")) {
            HttpResponse<String> r = hub.post(admin, "{}", AGENT);
            assertThat(r.statusCode()).as(admin).isEqualTo(403);
            assertThat(json(r)).as(admin).containsEntry("error", "forbidden");
        }
        assertThat(hub.get("/api/v1/state", AGENT).statusCode()).isEqualTo(403);
        assertThat(json(hub.get("/api/v1/hubs", AGENT))).as("where the other hub is, not the keys' state")
                .containsEntry("hubId", "main").containsEntry("ready", true);
        assertThat(hub.get("/beans", AGENT).statusCode()).isEqualTo(403);
        // the AUTH_FAILED disabled the key and the refused enable/reset left it so
        assertThat(hub.bean(io.quotahub.engine.QuotaEngine.class).view().pools().get(0).keys().get(0).disabled()).isTrue();
        assertThat(hub.post("/api/v1/admin/keys/demo/k1/enable", "{}", OPERATOR).statusCode()).isEqualTo(200);
    }

    @Test
    void aViewer_readsStateSystemDiagnosticsAndMetrics_butCannotAcquireOrCallAdminOrManagement() {
        assertThat(json(hub.get("/api/v1/state", VIEWER))).containsEntry("hubId", "main");
        assertThat(hub.get("/api/v1/hubs", VIEWER).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/v1/system", VIEWER).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/v1/diagnostics?level=BASIC", VIEWER).statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = hub.get("/prometheus", VIEWER);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("quotahub_");

        long before = granted();
        HttpResponse<String> acquire = hub.post("/api/v1/acquire", ACQUIRE, VIEWER);
        assertThat(acquire.statusCode()).isEqualTo(403);
        assertThat(json(acquire)).containsEntry("error", "forbidden");
        assertThat(granted()).isEqualTo(before);
        assertThat(hub.post("/api/v1/admin/keys/demo/k1/reset", "{}", VIEWER).statusCode()).isEqualTo(403);
        assertThat(hub.post("/api/v1/admin/config/reload", "{}", VIEWER).statusCode()).isEqualTo(403);
        assertThat(hub.post("/api/v1/admin/keys/demo/k1/rotate", "{}", VIEWER).statusCode()).isEqualTo(403);
        assertThat(hub.get("/api/v1/config", VIEWER).statusCode()).as("the pools' version and digest are a viewer's").isEqualTo(200);
        assertThat(hub.get("/api/v1/config", AGENT).statusCode()).isEqualTo(403);
        for (String endpoint : List.of("/beans", "/routes", "/loggers", "/threaddump", "/info")) {
            assertThat(hub.get(endpoint, VIEWER).statusCode()).as(endpoint).isIn(403, 404);
        }
        assertThat(hub.get("/beans", VIEWER).statusCode()).isEqualTo(403);
    }

    @Test
    void anOperator_resetsAKeyReadsEverythingAndTheManagementEndpoints() {
        HttpResponse<String> reset = hub.post("/api/v1/admin/keys/demo/k1/reset", "{}", OPERATOR);
        assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
        assertThat(json(reset)).containsEntry("keyId", "k1");
        assertThat(hub.post("/api/v1/acquire", ACQUIRE, OPERATOR).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/v1/state", OPERATOR).statusCode()).isEqualTo(200);
        assertThat(hub.get("/prometheus", OPERATOR).statusCode()).isEqualTo(200);
        HttpResponse<String> beans = hub.get("/beans", OPERATOR);
        assertThat(beans.statusCode()).isEqualTo(200);
        assertThat(beans.body()).contains("beans");
        assertThat(hub.get("/routes", OPERATOR).statusCode()).isEqualTo(200);
    }

    @Test
    void theManagementEndpointsAndMetrics_are401WithoutAToken_evenWhenMarkedNotSensitive() {
        for (String path : List.of("/beans", "/routes", "/prometheus", "/api/v1/state", "/api/v1/hubs", "/api/v1/system",
                "/api/v1/diagnostics")) {
            HttpResponse<String> r = hub.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(json(r)).as(path).containsEntry("error", "unauthorized");
        }
    }

    @Test
    void healthAndTheDashboardsStaticFiles_stayOpen_andAnUnknownPathIs404() {
        for (String path : List.of("/health", "/health/readiness", "/health/liveness", "/", "/index.html", "/dashboard.js",
                "/dashboard.css")) {
            assertThat(hub.get(path).statusCode()).as(path).isEqualTo(200);
        }
        assertThat(hub.get("/api/v1/no-such-route").statusCode()).isEqualTo(404);
    }

    @Test
    void withTokens_theServerKeepsItsConfiguredHost() {
        assertThat(hub.bean(BearerTokens.class).none()).isFalse();
        assertThat(hub.bean(EmbeddedServer.class).getHost()).isNotEqualTo("127.0.0.1");
    }
}
