package io.quotahub.hub.diagnostics;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokenEntry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/diagnostics} on a real hub and nats-server: cached reports, {@code fresh=true}
 * and who may ask for it, and the periodic checks of the hub's dependencies in the report and in
 * {@code /prometheus}.
 */
class DiagnosticsCachingApiTest {

    private static final String VIEWER = "viewer-token-5e1f0a9c7b3d2468";
    private static final String OPERATOR = "operator-token-2b4d6f8a0c1e3579";
    private static final Pattern STATUS_GAUGE = Pattern.compile(
            "quotahub_diagnostics_check_status\\{check=\"([a-z-]+)\",hub=\"main\"[^}]*} (\\S+)");

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private NatsServer nats() {
        NatsServer nats = NatsServer.start();
        open.add(nats);
        return nats;
    }

    private TestHub hub(NatsServer nats, Map<String, Object> extra) {
        TestHub hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys", List.of(
                key("k1", secretFile(dir, "k1", "sk-cache-k1-0123456789"), List.of(requests(100, "1h")))))), extra);
        open.add(hub);
        hub.awaitReady();
        return hub;
    }

    private static Map<String, Object> json(TestHub hub, HttpResponse<String> r) {
        try {
            return hub.bean(JsonMapper.class).readValue(r.body(), Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    private static Map<String, Object> ok(TestHub hub, HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(hub, r);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> dependencyStatus(Map<String, Object> report) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Map<String, Object> d : (List<Map<String, Object>>) report.get("dependencies")) {
            out.put(d.get("name").toString(), d.get("status").toString());
        }
        return out;
    }

    private static Map<String, String> statusGauges(TestHub hub) {
        HttpResponse<String> r = hub.get("/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, String> out = new java.util.TreeMap<>();
        Matcher m = STATUS_GAUGE.matcher(r.body());
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    @Test
    void aSecondRequestWithin30s_getsTheCachedReport_andFreshTrueRunsTheChecksAgain() {
        TestHub hub = hub(nats(), Map.of());

        Map<String, Object> first = ok(hub, hub.get("/api/v1/diagnostics?level=CRITICAL"));
        Map<String, Object> second = ok(hub, hub.get("/api/v1/diagnostics?level=CRITICAL"));
        Map<String, Object> fresh = ok(hub, hub.get("/api/v1/diagnostics?level=CRITICAL&fresh=true"));
        Map<String, Object> afterFresh = ok(hub, hub.get("/api/v1/diagnostics?level=CRITICAL"));

        assertThat(first.get("cached")).isEqualTo(false);
        assertThat(first.get("confidence")).isEqualTo(0.999);
        assertThat(second.get("cached")).isEqualTo(true);
        assertThat(second.get("takenAt")).isEqualTo(first.get("takenAt"));
        assertThat(second.get("checks")).isEqualTo(first.get("checks"));
        assertThat(fresh.get("cached")).isEqualTo(false);
        assertThat(fresh.get("takenAt").toString()).isGreaterThanOrEqualTo(first.get("takenAt").toString());
        assertThat(afterFresh.get("cached")).isEqualTo(true);
        assertThat(afterFresh.get("takenAt")).isEqualTo(fresh.get("takenAt"));
    }

    @Test
    void freshMustBeTrueOrFalse() {
        TestHub hub = hub(nats(), Map.of());

        HttpResponse<String> r = hub.get("/api/v1/diagnostics?level=BASIC&fresh=sk-cache-k1-0123456789");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(hub, r).get("message").toString()).contains("fresh must be true or false").doesNotContain("sk-cache");
    }

    @Test
    void freshTrue_needsAnOperatorToken_aViewerGetsTheCachedReport() throws IOException {
        TestHub hub = hub(nats(), Map.of("quotahub.security.tokens", List.of(
                tokenEntry("grafana", "VIEWER", Files.writeString(dir.resolve("viewer.token"), VIEWER)),
                tokenEntry("ops", "OPERATOR", Files.writeString(dir.resolve("ops.token"), OPERATOR)))));

        Map<String, Object> viewed = ok(hub, hub.get("/api/v1/diagnostics?level=BASIC", VIEWER));
        HttpResponse<String> refused = hub.get("/api/v1/diagnostics?level=BASIC&fresh=true", VIEWER);
        Map<String, Object> forced = ok(hub, hub.get("/api/v1/diagnostics?level=BASIC&fresh=true", OPERATOR));

        assertThat(viewed.get("cached")).isEqualTo(false);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(json(hub, refused).get("message").toString()).contains("fresh=true needs an OPERATOR token");
        assertThat(forced.get("cached")).isEqualTo(false);
        assertThat(ok(hub, hub.get("/api/v1/diagnostics?level=BASIC", VIEWER)).get("cached")).isEqualTo(true);
    }

    @Test
    void aDeletedSnapshotBucket_warnsInThePeriodicCheck() throws Exception {
        NatsServer nats = nats();
        TestHub hub = hub(nats, Map.of("quotahub.diagnostics.health-interval", "1s"));
        Awaitility.await("the snapshot store to pass").atMost(Duration.ofSeconds(15))
                .until(() -> "0.0".equals(statusGauges(hub).get("snapshot-store")));

        try (Connection admin = Nats.connect(nats.url())) { // no credentials: the test server's superuser
            admin.objectStoreManagement().delete("QH_SNAP_main");
        }

        Awaitility.await("the periodic check to warn").atMost(Duration.ofSeconds(15))
                .until(() -> "1.0".equals(statusGauges(hub).get("snapshot-store")));
        @SuppressWarnings("unchecked")
        Map<String, Object> snapshotStore = ((List<Map<String, Object>>) ok(hub, hub.get("/api/v1/diagnostics?level=BASIC"))
                .get("dependencies")).get(2);
        assertThat(snapshotStore.get("status")).isEqualTo("WARN");
        assertThat(snapshotStore.get("detail").toString()).contains("The snapshot bucket QH_SNAP_main is missing");
        assertThat(snapshotStore.get("recommendation").toString()).contains("Restart the hub");
        assertThat(snapshotStore.get("checkedAt").toString()).isNotBlank();
    }

    @Test
    void theDependencyChecksRunOnTheirOwn_inTheReportAndAsGauges_evenInACachedReport() {
        NatsServer nats = nats();
        TestHub hub = hub(nats, Map.of("quotahub.diagnostics.health-interval", "1s"));
        Awaitility.await("the periodic checks to pass once the hub is ready").atMost(Duration.ofSeconds(15))
                .until(() -> statusGauges(hub).equals(Map.of("network-peer", "0.0", "snapshot-store", "0.0", "storage", "0.0")));
        Map<String, Object> report = ok(hub, hub.get("/api/v1/diagnostics?level=BASIC"));
        assertThat(dependencyStatus(report)).containsExactly(
                Map.entry("network-peer", "PASS"), Map.entry("storage", "PASS"), Map.entry("snapshot-store", "PASS"));

        nats.kill();
        Connection c = hub.bean(HubRuntime.class).connection();
        Awaitility.await("the hub sees NATS gone").atMost(Duration.ofSeconds(10)).until(() -> c.getStatus() != Connection.Status.CONNECTED);

        // nobody asks for diagnostics: the periodic run alone finds it
        Awaitility.await("the periodic checks to fail").atMost(Duration.ofSeconds(15))
                .until(() -> statusGauges(hub).equals(Map.of("network-peer", "2.0", "snapshot-store", "2.0", "storage", "2.0")));
        Map<String, Object> cached = ok(hub, hub.get("/api/v1/diagnostics?level=BASIC"));
        assertThat(cached.get("cached")).isEqualTo(true);
        assertThat(dependencyStatus(cached)).containsEntry("storage", "FAIL").containsEntry("network-peer", "FAIL");
    }
}
