package io.quotahub.hub.metrics;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.service.RequestIndex;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.Refused;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hard caps of the agent registry and the request index, on a hub configured with tiny ones:
 * neither ever holds more than its cap, what it turns away is counted, and the gauges show size and
 * cap. Also: every guard series is exported from the start, at 0.
 */
class GuardMetricsTest {

    private static final int MAX_AGENTS = 3;
    private static final int MAX_REQUEST_INDEX = 5;

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection client;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main",
                Map.of("demo", Map.of("keys", List.of(key("k1", secretFile(dir, "k1", "sk-guard-metrics-01"), List.of(requests(1000, "1h")))))),
                Map.of("quotahub.max-agents", MAX_AGENTS, "quotahub.max-request-index", MAX_REQUEST_INDEX));
        client = Nats.connect(nats.url());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        hub.close();
        nats.close();
    }

    private static AcquireRequest request(String requestId) {
        return AcquireRequest.newBuilder().setRequestId(requestId).setAgentId("capped").setPool("demo").setTokens(1)
                .setPriority(Priority.NORMAL).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
    }

    private static AcquireReply acquire(AcquireRequest request) throws Exception {
        Message reply = client.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5));
        return AcquireReply.parseFrom(reply.getData());
    }

    @Test
    void everyGuardSeriesIsExportedFromTheStartWithoutClientInputInItsTags() {
        Scrape s = Scrape.of(hub);

        for (String name : List.of("quotahub_requests_rejected_total", "quotahub_heartbeat_proofs_ignored_total",
                "quotahub_agent_registry_refused_total", "quotahub_request_index_refused_total",
                "quotahub_priority_downgraded_total", "quotahub_settles_retry_after_clamped_total",
                "quotahub_agent_registry_size", "quotahub_agent_registry_capacity",
                "quotahub_request_index_size", "quotahub_request_index_capacity")) {
            assertThat(s.names()).as(name).contains(name);
        }
        assertThat(s.find("quotahub_requests_rejected_total", Map.of("hub", "main"))).as("every entrance x every reason")
                .hasSize(Entrance.values().length * RejectReason.values().length);
        assertThat(s.value("quotahub_requests_rejected_total", Map.of("entrance", "nats.settle", "reason", "forbidden"))).isZero();
        assertThat(s.value("quotahub_agent_registry_capacity", Map.of("hub", "main"))).isEqualTo(MAX_AGENTS);
        assertThat(s.value("quotahub_request_index_capacity", Map.of("hub", "main"))).isEqualTo(MAX_REQUEST_INDEX);
        assertThat(s.value("quotahub_priority_downgraded_total", Map.of("pool", "demo"))).isZero();
    }

    @Test
    void theRequestIndexNeverGrowsPastItsCap_aNewAcquireIsRefusedOverloadedAndARetryStillFindsItsGrant() throws Exception {
        RequestIndex index = hub.bean(RequestIndex.class);
        List<AcquireRequest> admitted = new ArrayList<>();
        while (index.size() < MAX_REQUEST_INDEX) {
            AcquireRequest r = request(UUID.randomUUID().toString());
            assertThat(acquire(r).hasGranted()).isTrue();
            admitted.add(r);
        }

        AcquireReply overNats = acquire(request(UUID.randomUUID().toString()));
        HttpResponse<String> overHttp = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"capped\"}");
        AcquireReply retried = acquire(AcquireRequest.newBuilder(admitted.get(0))
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build());

        assertThat(overNats.hasRefused()).as(overNats.toString()).isTrue();
        assertThat(overNats.getRefused().getRefusalCode()).isEqualTo(Refused.Code.OVERLOADED);
        assertThat(overNats.getRefused().getRetryAfterMs()).isPositive();
        assertThat(overNats.getRefused().getReason()).contains("quotahub.max-request-index");
        assertThat(overHttp.statusCode()).as(overHttp.body()).isEqualTo(429);
        assertThat(overHttp.body()).contains("\"code\":\"OVERLOADED\"");
        assertThat(overHttp.headers().firstValue("Retry-After")).isPresent();
        assertThat(retried.hasGranted()).as("a retry still finds its grant").isTrue();
        assertThat(index.size()).isEqualTo(MAX_REQUEST_INDEX);
        Scrape s = Scrape.of(hub);
        assertThat(s.value("quotahub_request_index_size", Map.of("hub", "main"))).isEqualTo(MAX_REQUEST_INDEX);
        assertThat(s.value("quotahub_request_index_refused_total", Map.of("hub", "main"))).isGreaterThanOrEqualTo(2);
    }

    @Test
    void theAgentRegistryNeverGrowsPastItsCap_newAgentsAreIgnoredAndCountedKnownOnesStillHeard() throws Exception {
        for (int i = 0; i < MAX_AGENTS + 2; i++) {
            client.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("agent-" + i)
                    .setSentAtEpochMs(System.currentTimeMillis()).build().toByteArray());
        }
        client.flush(Duration.ofSeconds(1));
        HubRuntime runtime = hub.bean(HubRuntime.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> Scrape.of(hub).value("quotahub_agent_registry_refused_total",
                Map.of("hub", "main")) == 2);

        assertThat(runtime.agents().size()).isEqualTo(MAX_AGENTS);
        assertThat(runtime.agents().all()).containsOnlyKeys("agent-0", "agent-1", "agent-2");
        long heardBefore = runtime.agents().all().size();
        client.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("agent-1")
                .setSentAtEpochMs(System.currentTimeMillis()).build().toByteArray());
        client.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("agent-9")
                .setSentAtEpochMs(System.currentTimeMillis()).build().toByteArray());
        client.flush(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> Scrape.of(hub).value("quotahub_agent_registry_refused_total",
                Map.of("hub", "main")) == 3); // agent-9 refused; agent-1, sent before it, was not
        Scrape s = Scrape.of(hub);
        assertThat(heardBefore).isEqualTo(MAX_AGENTS);
        assertThat(s.value("quotahub_agent_registry_size", Map.of("hub", "main"))).isEqualTo(MAX_AGENTS);
    }
}
