package io.quotahub.agent;

import com.sun.net.httpserver.HttpServer;
import io.quotahub.agent.internal.PushgatewayMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's metrics pushed to a Pushgateway: a JDK HTTP server stands in for it and records what arrives. */
class PushgatewayMetricsTest extends NatsTestBase {

    private static final String PATH = "/metrics/job/quotahub_agent/agent/";

    record Push(String method, String path, String body) {
    }

    /** A stand-in Pushgateway on {@code port} (0: any) that records every request. */
    static final class FakePushgateway implements AutoCloseable {
        final List<Push> pushes = new CopyOnWriteArrayList<>();
        final HttpServer server;

        FakePushgateway(int port) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            server.createContext("/", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                pushes.add(new Push(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), body));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
        }

        String address() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        Push last() {
            return pushes.get(pushes.size() - 1);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** Captures what the SDK logs about metrics (System.Logger goes to java.util.logging here). */
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger julLogger = Logger.getLogger("io.quotahub.agent.metrics");
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private final Level levelBefore = julLogger.getLevel();

    {
        julLogger.addHandler(handler);
        julLogger.setLevel(Level.ALL); // the failed pushes after the first are logged at DEBUG
    }

    @AfterEach
    void detachLogHandler() {
        julLogger.removeHandler(handler);
        julLogger.setLevel(levelBefore);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private List<LogRecord> warnings() {
        return logged.stream().filter(r -> r.getLevel() == Level.WARNING).toList();
    }

    @Test
    void metricsArrivePeriodicallyGroupedByAgentAndWithoutAnySecret() throws Exception {
        FakeHub main = hub("main");
        AtomicInteger calls = new AtomicInteger();
        main.onAcquire(r -> calls.incrementAndGet() == 1 ? FakeHub.refuse(20) : main.grant(r));
        try (FakePushgateway gateway = new FakePushgateway(0)) {
            QuotaClient client = closeLater(clientBuilder().agentId("pusher-1")
                    .pushGateway(gateway.address()).pushInterval(Duration.ofMillis(100)).build());
            awaitKnownHubs(client, "main");

            Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));
            lease.rateLimited(Duration.ofSeconds(3));
            int before = gateway.pushes.size();
            await("two more periodic pushes", () -> gateway.pushes.size() >= before + 2);

            Push push = gateway.last();
            assertThat(push.method()).as("pushAdd").isEqualTo("POST");
            assertThat(push.path()).isEqualTo(PATH + "pusher-1");
            assertThat(push.body())
                    .contains("quotahub_agent_leases_total{pool=\"demo\",hub=\"main\",} 1.0")
                    .contains("quotahub_agent_refusals_total{pool=\"demo\",code=\"QUOTA_EXHAUSTED\",} 1.0")
                    .contains("quotahub_agent_outcomes_total{pool=\"demo\",outcome=\"RATE_LIMITED\",} 1.0")
                    .contains("quotahub_agent_acquire_latency_seconds_count{pool=\"demo\",} 1.0")
                    .doesNotContain(FakeHub.apiKeyOf("main")).doesNotContain("sk-");
            Set<String> names = new TreeSet<>();
            for (String line : push.body().split("\n")) {
                if (line.startsWith("quotahub_agent_") && !line.contains("_created")) {
                    names.add(line.replaceAll("[{ ].*", ""));
                }
            }
            assertThat(names).as("every series pushed, and no other")
                    .containsExactlyInAnyOrderElementsOf(PushgatewayMetrics.PROMETHEUS_NAMES);
        }
    }

    @Test
    void theClientPushesOnceMoreWhenItCloses() throws Exception {
        hub("main");
        try (FakePushgateway gateway = new FakePushgateway(0)) {
            QuotaClient client = clientBuilder().agentId("closer-1")
                    .pushGateway(gateway.address()).pushInterval(Duration.ofHours(1)).build();
            awaitKnownHubs(client, "main");
            client.acquire("demo", 10, Duration.ofSeconds(5)); // left open: close settles it UNKNOWN with its estimate
            assertThat(gateway.pushes).as("nothing before the first interval").isEmpty();

            client.close();

            assertThat(gateway.pushes).hasSize(1);
            assertThat(gateway.last().path()).isEqualTo(PATH + "closer-1");
            assertThat(gateway.last().body())
                    .contains("quotahub_agent_leases_total{pool=\"demo\",hub=\"main\",} 1.0")
                    .as("the settle done by close() is in the last push")
                    .contains("quotahub_agent_outcomes_total{pool=\"demo\",outcome=\"UNKNOWN\",} 1.0");
        }
    }

    @Test
    void withThePushgatewayDownTheAgentKeepsWorkingWarnsOnceAndPushesWhenItIsBack() throws Exception {
        hub("main");
        int port = freePort(); // nothing listens there
        QuotaClient client = closeLater(clientBuilder().agentId("offline-1")
                .pushGateway("127.0.0.1:" + port).pushInterval(Duration.ofMillis(50)).build());
        awaitKnownHubs(client, "main");

        for (int i = 0; i < 3; i++) {
            try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
                lease.complete(12);
            }
        }
        await("several failed pushes", () -> logged.stream().filter(r -> r.getMessage() != null
                && r.getMessage().contains("failed again")).count() >= 3);
        assertThat(warnings()).as("one warning per outage, not per push").hasSize(1);
        assertThat(warnings().get(0).getMessage()).contains("127.0.0.1:" + port).contains("keeps working");

        try (FakePushgateway gateway = new FakePushgateway(port)) {
            await("a push once the Pushgateway is back", () -> !gateway.pushes.isEmpty());
            assertThat(gateway.last().body()).contains("quotahub_agent_leases_total{pool=\"demo\",hub=\"main\",} 3.0");
            await("logged that it is back", () -> logged.stream().anyMatch(r -> r.getMessage().contains("reachable again")));
        }
        client.close();
        assertThat(warnings()).as("the second outage (at close) warns once more").hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void closeNeverThrowsWhenThePushgatewayIsDown() throws Exception {
        hub("main");
        QuotaClient client = clientBuilder().agentId("offline-2").pushGateway("127.0.0.1:" + freePort()).build();
        awaitKnownHubs(client, "main");
        Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));

        client.close();

        assertThat(lease.toString()).doesNotContain("sk-");
        assertThat(warnings()).hasSize(1);
    }

    @Test
    void builderRejectsABlankAddressAndANonPositiveInterval() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> QuotaClient.builder().pushGateway(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pushGateway");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> QuotaClient.builder().pushInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pushInterval");
    }
}
