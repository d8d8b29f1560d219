package io.quotahub.hub.diagnostics;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/** Checks 8 and 9 on hub-main and hub-edge beside their own nats-servers (leafnode through a cuttable proxy). */
class DiagnosticsTwoHubTest {

    @TempDir
    Path dir;

    private TestHub hub(NatsPair pair, String id, String peer) {
        Map<String, Object> pools = Map.of("demo", Map.of("keys",
                List.of(key("k1", secretFile(dir, "k1-" + id, "sk-diag-two-hub-000001"), List.of(requests(100, "1h"))))));
        return TestHub.start(pair.server(id), id, pools, Map.of("quotahub.peer-id", peer, "quotahub.takeover-after", "1500ms"));
    }

    private static PeerStatus peerStatus(TestHub hub) {
        return hub.bean(HubRuntime.class).replication().status();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> check(TestHub hub, String name) {
        String body = hub.get("/api/v1/diagnostics?level=ADVANCED&fresh=true").body(); // fresh: the state just changed
        try {
            Map<String, Object> report = hub.bean(JsonMapper.class).readValue(body, Argument.mapOf(String.class, Object.class));
            return ((List<Map<String, Object>>) report.get("checks")).stream().filter(c -> c.get("name").equals(name)).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(condition::getAsBoolean);
    }

    @Test
    void networkPeerPassesWhileThePeerIsConnectedAndFailsWhenTheLinkIsCut() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            Map<String, Object> ok = check(main, "network-peer");
            assertThat(ok.get("status")).as(ok.toString()).isEqualTo("PASS");
            assertThat(ok.get("detail").toString()).contains("Peer edge is CONNECTED").contains("round trip");

            pair.link().cut();
            await("main sees the split", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.PARTITIONED);

            Map<String, Object> cut = check(main, "network-peer");
            assertThat(cut.get("status")).isEqualTo("FAIL");
            assertThat(cut.get("detail").toString()).contains("Peer edge is PARTITIONED");
            assertThat(cut.get("recommendation").toString()).contains("leafnode link");
            Map<String, Object> integrity = check(main, "data-integrity");
            assertThat(integrity.get("status")).as("cannot compare across a split").isEqualTo("WARN");
        }
    }

    @Test
    void dataIntegrityFailsWhenThisHubsCopyOfThePeersLedgerNoLongerMatchesThePeersLedger() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            for (int i = 0; i < 3; i++) {
                assertThat(edge.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"t\"}").statusCode()).isEqualTo(200);
            }
            await("main's copy matches edge's ledger", Duration.ofSeconds(10), () -> check(main, "data-integrity").get("status").equals("PASS"));
            assertThat(check(main, "data-integrity").get("detail").toString()).contains("copy QH_PEER_edge at").contains("the peer's ledger at");

            // main's copy of edge's ledger loses a message edge still has: the hubs' views diverge
            try (Connection direct = Nats.connect(pair.main().url())) {
                JetStreamManagement jsm = direct.jetStreamManagement();
                boolean deleted = false;
                for (int attempt = 0; attempt < 50 && !deleted; attempt++) {
                    // the copy keeps receiving edge's batches (e.g. rebalancing): take the last one stored now
                    long last = jsm.getStreamInfo("QH_PEER_edge").getStreamState().getLastSequence();
                    try {
                        deleted = jsm.deleteMessage("QH_PEER_edge", last);
                    } catch (io.nats.client.JetStreamApiException raced) {
                        Thread.sleep(50);
                    }
                }
                assertThat(deleted).isTrue();
            }

            Map<String, Object> fail = check(main, "data-integrity");
            assertThat(fail.get("status")).isEqualTo("FAIL");
            assertThat(fail.get("detail").toString()).contains("Stream QH_PEER_edge (the copy of edge's ledger) has lost messages");
            assertThat(fail.get("recommendation").toString()).contains("delete its stream QH_PEER_edge");
            assertThat(check(edge, "data-integrity").get("status")).as("edge's own view is intact").isEqualTo("PASS");
        }
    }
}
