package io.quotahub.hub.audit;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.quotahub.hub.TestHub;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokenEntry;
import static org.assertj.core.api.Assertions.assertThat;

/** Admin actions record the operator's principal in the ledger and are listed by {@code GET /api/v1/admin/audit}. */
class AuditEndpointTest {

    static final String AGENT = "agent-token-audit-3c9d0e1f2a";
    static final String VIEWER = "viewer-token-audit-8e7d6c5b4a";
    static final String OPS = "operator-token-audit-1a2b3c4d5e";
    static final String OPS2 = "operator-token-audit-2-9f8e7d6c";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection client;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", pools(dir), Map.of("quotahub.security.tokens", List.of(
                tokenEntry("agents", "AGENT", Files.writeString(dir.resolve("a.token"), AGENT)),
                tokenEntry("grafana", "VIEWER", Files.writeString(dir.resolve("v.token"), VIEWER)),
                tokenEntry("ops", "OPERATOR", Files.writeString(dir.resolve("o.token"), OPS)),
                tokenEntry("oncall", "OPERATOR", Files.writeString(dir.resolve("o2.token"), OPS2)))));
        client = Nats.connect(nats.url());
    }

    static Map<String, Object> pools(Path dir) {
        return Map.of("demo", Map.of("keys", List.of(
                key("k1", secretFile(dir, "k1", "sk-audit-test-0001"), List.of(requests(100, "1h"))),
                key("k2", secretFile(dir, "k2", "sk-audit-test-0002"), List.of(requests(100, "1h"))))));
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        hub.close();
        nats.close();
    }

    static Map<String, Object> json(TestHub hub, HttpResponse<String> r) {
        try {
            return hub.bean(JsonMapper.class).readValue(r.body(), Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> actions(TestHub hub, HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return (List<Map<String, Object>>) json(hub, r).get("actions");
    }

    private static String since(Instant at) {
        return URLEncoder.encode(at.toString(), StandardCharsets.UTF_8);
    }

    @Test
    void enableAndReset_recordTheOperatorInTheLedgerAndAreListedNewestLast() throws Exception {
        Instant before = Instant.now();
        assertThat(hub.post("/api/v1/admin/keys/demo/k1/enable", "", OPS).statusCode()).isEqualTo(200);
        assertThat(hub.post("/api/v1/admin/keys/demo/k2/reset", "", OPS2).statusCode()).isEqualTo(200);

        List<LedgerEvent> ledger = LedgerPrincipalTest.ledgerEvents(client, "main");
        assertThat(ledger).anySatisfy(e -> {
            assertThat(e.getKeyEnabled().getKeyId()).isEqualTo("k1");
            assertThat(e.getKeyEnabled().getPrincipal()).isEqualTo("token:ops");
        });
        assertThat(ledger).anySatisfy(e -> {
            assertThat(e.getKeyReset().getKeyId()).isEqualTo("k2");
            assertThat(e.getKeyReset().getPrincipal()).isEqualTo("token:oncall");
        });

        List<Map<String, Object>> listed = actions(hub, hub.get("/api/v1/admin/audit?since=" + since(before), OPS));
        assertThat(listed).hasSize(2);
        assertThat(listed.get(0)).containsEntry("action", "key-enabled").containsEntry("principal", "token:ops")
                .containsEntry("pool", "demo").containsEntry("keyId", "k1").containsEntry("hub", "main");
        assertThat(listed.get(1)).containsEntry("action", "key-reset").containsEntry("principal", "token:oncall")
                .containsEntry("keyId", "k2");
        assertThat(((Number) listed.get(0).get("ledgerSeq")).longValue())
                .isLessThan(((Number) listed.get(1).get("ledgerSeq")).longValue());
        long seq = ((Number) listed.get(1).get("ledgerSeq")).longValue();
        var stored = client.jetStreamManagement().getMessage(io.quotahub.proto.Subjects.ledgerStream("main"), seq);
        assertThat(io.quotahub.proto.LedgerBatch.parseFrom(stored.getData()).getEventsList())
                .as("ledgerSeq names the ledger message holding the action").anyMatch(LedgerEvent::hasKeyReset);
    }

    @Test
    void since_leavesOutEarlierActions_inEitherForm() throws Exception {
        assertThat(hub.post("/api/v1/admin/keys/demo/k1/reset", "", OPS).statusCode()).isEqualTo(200);
        List<Map<String, Object>> all = actions(hub, hub.get("/api/v1/admin/audit", OPS)); // default: the last 24 h
        Instant first = Instant.parse((String) all.get(all.size() - 1).get("at"));
        Thread.sleep(5); // the next action gets a later millisecond
        assertThat(hub.post("/api/v1/admin/keys/demo/k2/enable", "", OPS2).statusCode()).isEqualTo(200);
        Instant after = first.plusMillis(1);

        List<Map<String, Object>> byInstant = actions(hub, hub.get("/api/v1/admin/audit?since=" + since(after), OPS));
        List<Map<String, Object>> byMillis = actions(hub, hub.get("/api/v1/admin/audit?since=" + after.toEpochMilli(), OPS));

        assertThat(byInstant).isNotEmpty().allSatisfy(a -> assertThat(Instant.parse((String) a.get("at"))).isAfterOrEqualTo(after));
        assertThat(byInstant.get(byInstant.size() - 1)).containsEntry("action", "key-enabled").containsEntry("keyId", "k2")
                .containsEntry("principal", "token:oncall");
        assertThat(byMillis).isEqualTo(byInstant);
        assertThat(all.size()).isGreaterThan(0);
        List<Map<String, Object>> future = actions(hub, hub.get("/api/v1/admin/audit?since=" + since(Instant.now().plusSeconds(3600)), OPS));
        assertThat(future).isEmpty();
    }

    @Test
    void auditStream_isAFileStreamOfItsOwnSubjectBoundedByMaxAge() throws Exception {
        var config = client.jetStreamManagement().getStreamInfo(AuditStore.streamName("main")).getConfiguration();

        assertThat(config.getSubjects()).containsExactly("qh.audit.main");
        assertThat(config.getStorageType()).isEqualTo(io.nats.client.api.StorageType.File);
        assertThat(config.getMaxAge()).as("quotahub.audit.max-age's default").isEqualTo(java.time.Duration.ofDays(90));
    }

    @Test
    void badSince_is400WithTheStandardJsonError() {
        for (String bad : List.of("yesterday", "2025-13-01T00:00:00Z", "12abc", "99999999999999999999")) {
            HttpResponse<String> r = hub.get("/api/v1/admin/audit?since=" + URLEncoder.encode(bad, StandardCharsets.UTF_8), OPS);

            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(json(hub, r)).as(bad).containsOnlyKeys("error", "message").containsEntry("error", "bad_request");
        }
    }

    @Test
    void auditIsForOperatorsOnly() {
        assertThat(hub.get("/api/v1/admin/audit", AGENT).statusCode()).isEqualTo(403);
        assertThat(hub.get("/api/v1/admin/audit", VIEWER).statusCode()).isEqualTo(403);
        assertThat(hub.get("/api/v1/admin/audit").statusCode()).isEqualTo(401);
        assertThat(hub.get("/api/v1/admin/audit", AGENT).body()).doesNotContain("token:");
    }

    @Test
    void anAuditStreamThatLostActions_isRefilledFromTheLedgerAtStartUp(@TempDir Path own) throws Exception {
        Map<String, Object> noSnapshots = Map.of("quotahub.snapshot-every", 0); // the whole ledger is replayed
        try (NatsServer server = NatsServer.start(); Connection c = Nats.connect(server.url())) {
            try (TestHub first = TestHub.start(server, "main", pools(own), noSnapshots)) {
                assertThat(first.post("/api/v1/admin/keys/demo/k2/enable", "").statusCode()).isEqualTo(200);
                assertThat(actions(first, first.get("/api/v1/admin/audit"))).hasSize(1);
            }
            c.jetStreamManagement().deleteStream(AuditStore.streamName("main")); // e.g. a crash before the copy

            try (TestHub again = TestHub.start(server, "main", pools(own), noSnapshots)) {
                List<Map<String, Object>> listed = Awaitility.await("the audit copied in the background").atMost(Duration.ofSeconds(10))
                        .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                        .until(() -> actions(again, again.get("/api/v1/admin/audit")), l -> !l.isEmpty());

                assertThat(listed).singleElement().satisfies(a -> assertThat(a)
                        .containsEntry("action", "key-enabled").containsEntry("keyId", "k2").containsEntry("principal", "local"));
            }
            try (TestHub third = TestHub.start(server, "main", pools(own), noSnapshots)) {
                assertThat(actions(third, third.get("/api/v1/admin/audit"))).as("copied once, not at every start").hasSize(1);
            }
        }
    }

    @Test
    void aRestartedHubStillListsEarlierActions_andProtectedModeRecordsLocal(@TempDir Path own) throws Exception {
        try (NatsServer server = NatsServer.start()) {
            Instant before = Instant.now();
            try (TestHub first = TestHub.start(server, "main", pools(own))) {
                assertThat(first.post("/api/v1/admin/keys/demo/k1/reset", "").statusCode()).isEqualTo(200);
                assertThat(actions(first, first.get("/api/v1/admin/audit"))).hasSize(1);
            }
            try (TestHub again = TestHub.start(server, "main", pools(own))) {
                List<Map<String, Object>> listed = actions(again, again.get("/api/v1/admin/audit?since=" + since(before)));

                assertThat(listed).singleElement().satisfies(a -> assertThat(a)
                        .containsEntry("action", "key-reset").containsEntry("principal", "local").containsEntry("keyId", "k1"));
            }
        }
    }
}
