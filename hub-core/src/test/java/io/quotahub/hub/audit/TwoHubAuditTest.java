package io.quotahub.hub.audit;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The audit of two hubs: each lists the peer's admin actions too, and says so when it cannot read them. */
class TwoHubAuditTest {

    @TempDir
    Path dir;

    private TestHub hub(NatsPair pair, String id, String peer) {
        return TestHub.start(pair.server(id), id, AuditEndpointTest.pools(dir), Map.of("quotahub.peer-id", peer));
    }

    private static PeerStatus peerStatus(TestHub hub) {
        return hub.bean(HubRuntime.class).replication().status();
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(15)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> sources(TestHub hub, HttpResponse<String> r) {
        return (List<Map<String, Object>>) AuditEndpointTest.json(hub, r).get("sources");
    }

    @Test
    void eachHubListsBothHubsActions_andDeclareDeadRecordsTheOperatorAndTheUnreachablePeer() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            assertThat(edge.post("/api/v1/admin/keys/demo/k2/reset", "").statusCode()).isEqualTo(200);
            assertThat(main.post("/api/v1/admin/keys/demo/k1/enable", "").statusCode()).isEqualTo(200);

            HttpResponse<String> both = main.get("/api/v1/admin/audit");
            List<Map<String, Object>> listed = AuditEndpointTest.actions(main, both);
            assertThat(listed).extracting(a -> a.get("hub") + " " + a.get("action") + " " + a.get("keyId"))
                    .containsExactly("edge key-reset k2", "main key-enabled k1");
            assertThat(sources(main, both)).extracting(s -> s.get("hub") + " " + s.get("reachable")).containsExactly("main true", "edge true");

            pair.link().cut();
            await("main sees the split", () -> peerStatus(main) == PeerStatus.PARTITIONED);
            HttpResponse<String> declared = main.post("/api/v1/admin/peer/declare-dead", "");
            assertThat(declared.statusCode()).as(declared.body()).isEqualTo(200);

            try (Connection c = Nats.connect(pair.main().url())) {
                await("the Takeover is in main's ledger", () -> {
                    try {
                        return LedgerPrincipalTest.ledgerEvents(c, "main").stream().anyMatch(LedgerEvent::hasTakeover);
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(LedgerPrincipalTest.ledgerEvents(c, "main")).filteredOn(LedgerEvent::hasTakeover).singleElement()
                        .satisfies(e -> {
                            assertThat(e.getTakeover().getDeclared()).isTrue();
                            assertThat(e.getTakeover().getPrincipal()).isEqualTo("local");
                        });
            }
            await("declare-dead is in the audit", () -> AuditEndpointTest.actions(main, main.get("/api/v1/admin/audit")).stream()
                    .anyMatch(a -> "peer-declared-dead".equals(a.get("action"))));
            HttpResponse<String> split = main.get("/api/v1/admin/audit");
            List<Map<String, Object>> afterSplit = AuditEndpointTest.actions(main, split);
            assertThat(afterSplit.get(afterSplit.size() - 1)).containsEntry("action", "peer-declared-dead")
                    .containsEntry("peer", "edge").containsEntry("principal", "local").containsEntry("hub", "main");
            assertThat(sources(main, split)).anySatisfy(s -> assertThat(s).containsEntry("hub", "edge")
                    .containsEntry("reachable", false).containsKey("problem"));
            assertThat(afterSplit).as("main's own actions are still listed").anyMatch(a -> "key-enabled".equals(a.get("action")));
        }
    }
}
