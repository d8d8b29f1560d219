package io.quotahub.hub.metrics;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Zone;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/** The hub's Prometheus metrics at {@code /prometheus}, against a real hub and nats-server, moved by real traffic. */
class HubMetricsTest {

    private static final String SECRET_1 = "sk-metrics-SECRET-one-1111";
    private static final String SECRET_2 = "sk-metrics-SECRET-two-2222";
    private static final String SECRET_3 = "sk-metrics-SECRET-three-33";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;

    @BeforeAll
    static void start() {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", Map.of(
                "demo", Map.of("limits", List.of(requests(10_000, "1h")), "keys", List.of(
                        key("k1", secretFile(dir, "k1", SECRET_1), List.of(requests(1000, "1h"), tokens(100_000, "1m"))))),
                "tiny", Map.of("keys", List.of(key("t1", secretFile(dir, "t1", SECRET_2), List.of(requests(1, "1h"))))),
                "hot", Map.of("preset", "PREMIUM", "keys", List.of(key("h1", secretFile(dir, "h1", SECRET_3), List.of(requests(4, "1h")))))));
    }

    @AfterAll
    static void stop() {
        hub.close();
        nats.close();
    }

    /** A scrape newer than any gauge snapshot taken before this call. */
    private static Scrape freshScrape() throws InterruptedException {
        Thread.sleep(HubGauges.MAX_AGE.toMillis() + 20);
        return Scrape.of(hub);
    }

    private static HttpResponse<String> acquire(String pool) {
        return hub.post("/api/v1/acquire", "{\"pool\":\"" + pool + "\",\"tokens\":10,\"agentId\":\"metrics-test\"}");
    }

    private static String leaseId(HttpResponse<String> granted) {
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        Matcher m = Pattern.compile("\"leaseId\":\"([^\"]+)\"").matcher(granted.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static void complete(String leaseId, String outcome) {
        HttpResponse<String> r = hub.post("/api/v1/leases/" + leaseId + "/complete",
                "{\"tokensUsed\":10,\"outcome\":\"" + outcome + "\"" + (outcome.equals("RATE_LIMITED") ? ",\"retryAfterMs\":60000" : "") + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void everyHubMetricIsExportedWithItsPrometheusNameAndNoSecret() throws Exception {
        complete(leaseId(acquire("demo")), "OK");
        try (QuotaClient client = QuotaClient.builder().servers(nats.url()).agentId("names").build();
             Lease lease = client.acquire("demo", 5, Duration.ofSeconds(5))) {
            lease.complete(5);
        }

        Scrape s = freshScrape();

        List<String> peerOnly = List.of("quotahub_replication_lag_seconds", "quotahub_peer_status", "quotahub_takeovers_total",
                "quotahub_handovers_total", "quotahub_config_mismatch");
        for (String name : MetricNames.PROMETHEUS_NAMES) {
            if (!peerOnly.contains(name)) {
                assertThat(s.names()).as("exported: " + name).contains(name);
            }
        }
        assertThat(s.names()).as("a hub without a peer has no peer series").doesNotContainAnyElementsOf(peerOnly);
        assertThat(s.text()).doesNotContain(SECRET_1).doesNotContain(SECRET_2).doesNotContain(SECRET_3).doesNotContain("sk-");
        assertThat(s.value("quotahub_hub_ready", Map.of("hub", "main"))).isEqualTo(1);
        assertThat(s.value("quotahub_limit_capacity", Map.of("limit", "demo/k1#1", "pool", "demo", "key", "k1"))).isEqualTo(100_000);
        assertThat(s.value("quotahub_limit_capacity", Map.of("limit", "demo#0", "pool", "demo", "key", ""))).isEqualTo(10_000);
        assertThat(s.value("quotahub_limit_budget", Map.of("limit", "demo/k1#0"))).as("a lone hub holds the whole capacity").isEqualTo(1000);
        assertThat(s.value("quotahub_agents", Map.of("hub", "main", "health", "HEALTHY"))).as("the SDK heartbeats").isGreaterThanOrEqualTo(1);
        assertThat(s.find("quotahub_agents", Map.of("hub", "main"))).hasSize(4);
        assertThat(s.value("quotahub_hub_health_score", Map.of("hub", "main"))).isBetween(0.0, 100.0);
        assertThat(s.value("quotahub_key_circuit", Map.of("key", "k1", "state", "CLOSED"))).isEqualTo(1);
        assertThat(s.value("quotahub_key_disabled", Map.of("key", "k1"))).isZero();
    }

    @Test
    void theAgentSeriesListedForDashboardsAreExactlyWhatTheSdkPushes() {
        assertThat(MetricNames.AGENT_PROMETHEUS_NAMES)
                .containsExactlyInAnyOrderElementsOf(io.quotahub.agent.internal.PushgatewayMetrics.PROMETHEUS_NAMES);
    }

    @Test
    void acquireLatencyIsRecordedPerTransportAndResultAndLedgerAppendsAreTimed() throws Exception {
        Scrape before = Scrape.of(hub);

        complete(leaseId(acquire("demo")), "OK");
        try (QuotaClient client = QuotaClient.builder().servers(nats.url()).agentId("latency").build();
             Lease lease = client.acquire("demo", 5, Duration.ofSeconds(5))) {
            lease.complete(5);
        }
        assertThat(hub.post("/api/v1/acquire", "{\"pool\":\"demo\"}").statusCode()).isEqualTo(400);

        Scrape after = Scrape.of(hub);
        for (String[] tr : new String[][] {{"http", "granted"}, {"nats", "granted"}, {"http", "error"}}) {
            Map<String, String> tags = Map.of("hub", "main", "transport", tr[0], "result", tr[1]);
            assertThat(after.value("quotahub_acquire_latency_seconds_count", tags)
                    - before.value("quotahub_acquire_latency_seconds_count", tags)).as(tr[0] + "/" + tr[1]).isEqualTo(1);
        }
        assertThat(after.find("quotahub_acquire_latency_seconds_bucket", Map.of("transport", "nats", "result", "granted")))
                .as("a histogram, for p99 alerts").hasSizeGreaterThan(10);
        assertThat(after.value("quotahub_ledger_append_latency_seconds_count", Map.of("hub", "main"))
                - before.value("quotahub_ledger_append_latency_seconds_count", Map.of("hub", "main")))
                .as("two grants and two settles appended").isGreaterThanOrEqualTo(4);
    }

    @Test
    void usedAndUtilizationRiseWithGrantsAndGrantCounterCounts() throws Exception {
        Map<String, String> k1 = Map.of("limit", "demo/k1#0");
        Scrape before = freshScrape();

        for (int i = 0; i < 3; i++) {
            leaseId(acquire("demo"));
        }

        Scrape after = freshScrape();
        assertThat(after.value("quotahub_limit_used", k1) - before.value("quotahub_limit_used", k1)).isEqualTo(3);
        assertThat(after.value("quotahub_limit_used", Map.of("limit", "demo/k1#1")) - before.value("quotahub_limit_used", Map.of("limit", "demo/k1#1")))
                .as("tokens").isEqualTo(30);
        assertThat(after.value("quotahub_limit_utilization", k1)).isEqualTo(after.value("quotahub_limit_used", k1) / 1000);
        Map<String, String> granted = Map.of("hub", "main", "pool", "demo", "key", "k1");
        assertThat(after.value("quotahub_leases_granted_total", granted) - before.value("quotahub_leases_granted_total", granted)).isEqualTo(3);
        assertThat(after.value("quotahub_leases_open", Map.of("hub", "main")) - before.value("quotahub_leases_open", Map.of("hub", "main")))
                .isEqualTo(3);
    }

    @Test
    void aRefusalIsCountedByItsReasonAndUnknownPoolsNeverBecomeTags() throws Exception {
        leaseId(acquire("tiny"));
        HttpResponse<String> refused = acquire("tiny");
        assertThat(refused.statusCode()).isEqualTo(429);
        Matcher code = Pattern.compile("\"code\":\"([A-Z_]+)\"").matcher(refused.body());
        assertThat(code.find()).as(refused.body()).isTrue();
        assertThat(acquire("no-such-pool-" + "x".repeat(20)).statusCode()).as("unknown pool").isEqualTo(404);

        Scrape s = Scrape.of(hub);
        assertThat(s.value("quotahub_leases_refused_total", Map.of("hub", "main", "pool", "tiny", "reason", code.group(1)))).isEqualTo(1);
        assertThat(s.sum("quotahub_leases_refused_total", Map.of("pool", "tiny"))).isEqualTo(1);
        assertThat(s.text()).doesNotContain("no-such-pool");
    }

    @Test
    void settlesAreCountedByOutcomeAndAKeyThatFillsOrIsThrottledFlipsItsZone() throws Exception {
        Map<String, String> h1 = Map.of("hub", "main", "pool", "hot", "key", "h1");
        Scrape before = freshScrape();
        assertThat(before.value("quotahub_key_zone", Map.of("key", "h1", "zone", "OPTIMAL"))).isEqualTo(1);
        assertThat(before.sum("quotahub_key_zone", Map.of("key", "h1"))).isEqualTo(1);

        String first = leaseId(acquire("hot"));
        String second = leaseId(acquire("hot"));
        leaseId(acquire("hot"));
        leaseId(acquire("hot"));
        complete(first, "OK");
        complete(second, "RATE_LIMITED");

        Scrape after = freshScrape();
        Zone zone = hub.bean(QuotaEngine.class).view().pools().stream().filter(p -> p.name().equals("hot")).findFirst().orElseThrow()
                .keys().get(0).thermal().zone();
        assertThat(zone).isEqualTo(Zone.THROTTLED);
        assertThat(after.value("quotahub_key_zone", Map.of("key", "h1", "zone", "THROTTLED"))).isEqualTo(1);
        assertThat(after.value("quotahub_key_zone", Map.of("key", "h1", "zone", "OPTIMAL"))).isZero();
        assertThat(after.sum("quotahub_key_zone", Map.of("key", "h1"))).as("one zone at a time").isEqualTo(1);
        assertThat(after.value("quotahub_key_cooldown_seconds", Map.of("key", "h1"))).as("Retry-After 60 s").isBetween(50.0, 60.0);
        assertThat(after.value("quotahub_limit_utilization", Map.of("limit", "hot/h1#0"))).isEqualTo(1.0);
        assertThat(after.value("quotahub_key_temperature", Map.of("key", "h1")))
                .isGreaterThan(before.value("quotahub_key_temperature", Map.of("key", "h1")));
        for (String outcome : List.of("OK", "RATE_LIMITED")) {
            Map<String, String> tags = new java.util.HashMap<>(h1);
            tags.put("outcome", outcome);
            assertThat(after.value("quotahub_leases_settled_total", tags) - before.value("quotahub_leases_settled_total", tags))
                    .as(outcome).isEqualTo(1);
        }
        Map<String, String> err = new java.util.HashMap<>(h1);
        err.put("outcome", "ERROR");
        assertThat(after.value("quotahub_leases_settled_total", err)).isZero();
    }
}
