package io.quotahub.hub;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.engine.Health;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent SDK against a real hub and nats-server: what an agent sees end to end. */
class SdkEndToEndTest {

    private static final String SECRET_1 = "sk-e2e-secret-key-one-11";
    private static final String SECRET_2 = "sk-e2e-secret-key-two-22";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static QuotaClient client;

    @BeforeAll
    static void start() {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", Map.of(
                "demo", Map.of("keys", List.of(key("k1", secretFile(dir, "k1", SECRET_1), List.of(requests(1000, "1m"), tokens(100_000, "1m"))))),
                "pair", Map.of("keys", List.of(
                        key("primary", secretFile(dir, "p", SECRET_1), List.of(requests(2, "1h"))),
                        key("secondary", secretFile(dir, "s", SECRET_2), List.of(requests(2, "1h"))))),
                "one", Map.of("keys", List.of(key("only", secretFile(dir, "o", SECRET_1), List.of(requests(1, "1h")))))));
        client = QuotaClient.builder().servers(nats.url()).agentId("e2e-agent").userPasswordFile(nats.credentials(NatsServer.AGENT)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        hub.close();
        nats.close();
    }

    private static KeyView keyView(String pool, String id) {
        return hub.bean(QuotaEngine.class).view().pools().stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow()
                .keys().stream().filter(k -> k.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void acquireAndCompleteChargesTheRealTokenCount() {
        long usedBefore = keyView("demo", "k1").limits().get(1).used();

        try (Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5))) {
            assertThat(lease.apiKey()).isEqualTo(SECRET_1);
            assertThat(lease.toString()).doesNotContain(SECRET_1);
            assertThat(keyView("demo", "k1").limits().get(1).used() - usedBefore).isEqualTo(1200);
            lease.complete(1432);
        }

        assertThat(keyView("demo", "k1").limits().get(1).used() - usedBefore).isEqualTo(1432);
        assertThat(keyView("demo", "k1").inFlight()).isZero();
    }

    @Test
    void closingALeaseWithoutAnOutcomeSettlesItWithItsEstimate() {
        long usedBefore = keyView("demo", "k1").limits().get(1).used();

        try (Lease lease = client.acquire("demo", 300, Duration.ofSeconds(5))) {
            assertThat(lease.keyId()).isEqualTo("k1");
        }

        assertThat(keyView("demo", "k1").inFlight()).isZero();
        assertThat(keyView("demo", "k1").limits().get(1).used() - usedBefore).isEqualTo(300);
    }

    @Test
    void whenThePrimaryKeyIsFullTheNextLeaseGoesToTheSecondary() {
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Lease lease = client.acquire("pair", 1, Duration.ofSeconds(2))) {
                keys.add(lease.keyId());
            }
        }

        assertThat(keys).containsOnly("primary", "secondary");
        assertThat(keys.stream().filter("secondary"::equals).count()).isEqualTo(2);
    }

    @Test
    void anExhaustedPoolIsRefusedWithTheReasonAndARetryTime() {
        client.acquire("one", 1, Duration.ofSeconds(2)).close();

        assertThat(client.tryAcquire("one", 1)).isEmpty();
        assertThatThrownBy(() -> client.acquire("one", 1, Duration.ofMillis(300)))
                .isInstanceOfSatisfying(QuotaExhaustedException.class, e -> {
                    assertThat(e.retryAfter()).isPositive();
                    assertThat(e.reason()).contains("only");
                });
    }

    @Test
    void heartbeatsMakeTheAgentVisibleAsHealthy() throws Exception {
        Awaitility.await("the agent's heartbeat").atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(() -> hub.bean(HubRuntime.class).agents().all().containsKey("e2e-agent"));

        assertThat(hub.bean(HubRuntime.class).agents().all()).containsEntry("e2e-agent", Health.HEALTHY);
    }
}
