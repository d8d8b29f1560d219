package io.quotahub.hub.metrics;

import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/** The two-hub metrics: peer status, replication lag, takeovers; and every name of MetricNames exported. */
class TwoHubMetricsTest {

    private static final String SECRET = "sk-two-hub-metrics-SECRET-0001";

    @TempDir
    Path dir;

    private TestHub hub(NatsPair pair, String id, String peer) {
        Map<String, Object> pools = Map.of("demo", Map.of("keys",
                List.of(key("k1", secretFile(dir, "k1", SECRET), List.of(requests(100, "1h"))))));
        return TestHub.start(pair.server(id), id, pools, Map.of("quotahub.peer-id", peer, "quotahub.takeover-after", "1500ms"));
    }

    private static PeerStatus peerStatus(TestHub hub) {
        return hub.bean(HubRuntime.class).replication().status();
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    private static double peerStatusGauge(Scrape s, String hub, PeerStatus status) {
        return s.value("quotahub_peer_status", Map.of("hub", hub, "status", status.name()));
    }

    @Test
    void peerStatusLagAndTakeoverAreExportedAndEveryMetricNameAppears() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub edge = hub(pair, "edge", "main")) {
            TestHub main = hub(pair, "main", "edge");
            await("peers connected", Duration.ofSeconds(10),
                    () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            for (int i = 0; i < 5; i++) {
                assertThat(main.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"t\"}").statusCode()).isEqualTo(200);
            }
            await("edge's used gauge counts main's 5 leases", Duration.ofSeconds(5),
                    () -> Scrape.of(edge).value("quotahub_limit_used", Map.of("limit", "demo/k1#0")) == 5);
            Thread.sleep(HubGauges.MAX_AGE.toMillis() + 50);

            Scrape atMain = Scrape.of(main);
            Scrape atEdge = Scrape.of(edge);
            for (PeerStatus st : PeerStatus.values()) {
                assertThat(peerStatusGauge(atMain, "main", st)).as("main sees edge " + st).isEqualTo(st == PeerStatus.CONNECTED ? 1 : 0);
                assertThat(peerStatusGauge(atEdge, "edge", st)).as("edge sees main " + st).isEqualTo(st == PeerStatus.CONNECTED ? 1 : 0);
            }
            assertThat(atMain.find("quotahub_peer_status", Map.of("peer", "edge"))).hasSize(PeerStatus.values().length);
            double lag = atEdge.value("quotahub_replication_lag_seconds", Map.of("hub", "edge", "peer", "main"));
            assertThat(lag).as("edge folded main's grants: a finite lag").isBetween(0.0, 5.0);
            assertThat(atMain.find("quotahub_replication_lag_seconds", Map.of("hub", "main", "peer", "edge"))).hasSize(1);
            assertThat(atEdge.value("quotahub_limit_used", Map.of("limit", "demo/k1#0")))
                    .as("used counts both hubs' leases").isEqualTo(5);
            assertThat(atEdge.value("quotahub_takeovers_total", Map.of("hub", "edge", "declared", "false"))).isZero();

            main.crash(); // the process is gone; its NATS server still answers
            await("edge fenced main", Duration.ofSeconds(10), () -> peerStatus(edge) == PeerStatus.FENCED);
            await("edge counts the takeover", Duration.ofSeconds(5),
                    () -> Scrape.of(edge).value("quotahub_takeovers_total", Map.of("hub", "edge", "peer", "main", "declared", "false")) == 1);
            Thread.sleep(HubGauges.MAX_AGE.toMillis() + 50);
            Scrape after = Scrape.of(edge);
            assertThat(peerStatusGauge(after, "edge", PeerStatus.FENCED)).isEqualTo(1);
            assertThat(peerStatusGauge(after, "edge", PeerStatus.CONNECTED)).isZero();
            assertThat(after.value("quotahub_takeovers_total", Map.of("declared", "true"))).isZero();
            await("edge's budget gauge shows main's budget taken over", Duration.ofSeconds(5),
                    () -> Scrape.of(edge).value("quotahub_limit_budget", Map.of("hub", "edge", "limit", "demo/k1#0")) == 100);

            Set<String> exported = new TreeSet<>(atMain.names());
            exported.addAll(atEdge.names());
            exported.addAll(after.names());
            assertThat(exported).containsAll(MetricNames.PROMETHEUS_NAMES);
            assertThat(exported.stream().filter(n -> n.startsWith("quotahub_")))
                    .as("the list is exact: no quotahub series missing from it")
                    .containsExactlyInAnyOrderElementsOf(MetricNames.QUOTAHUB_PROMETHEUS_NAMES);
            assertThat(after.text()).doesNotContain(SECRET).doesNotContain("sk-");
        }
    }
}
