package io.quotahub.hub.twohub;

import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.hub.snapshot.HubSnapshot;
import io.quotahub.hub.snapshot.SnapshotMark;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/** A hub of a pair restarted from a snapshot that covers both ledgers has the state it had. */
class TwoHubSnapshotTest {

    @TempDir
    Path dir;

    private TestHub hub(NatsPair pair, String id, String peer) {
        Map<String, Object> pools = Map.of("demo", Map.of("preset", "PREMIUM", "high-priority-agents", List.of("t"),
                "keys", List.of(key("k1", secretFile(dir, "k1", "sk-two-hub-snap-000001"), List.of(requests(100, "1h"))))));
        return TestHub.start(pair.server(id), id, pools, Map.of("quotahub.peer-id", peer,
                "quotahub.takeover-after", "60s", // a quick restart, not a takeover
                "quotahub.snapshot-every", 1, "quotahub.snapshot-max-age", "200ms"));
    }

    private static int acquire(TestHub hub) {
        return acquireResponse(hub).statusCode();
    }

    private static HttpResponse<String> acquireResponse(TestHub hub) {
        return hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"t\",\"priority\":\"HIGH\"}");
    }

    private static Set<String> openLeaseIds(TestHub hub) {
        return hub.bean(QuotaEngine.class).openLeases().stream().map(LeaseRecord::leaseId).collect(Collectors.toSet());
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    @Test
    void restartFromASnapshotCoveringBothLedgers_keepsOwnAndPeerLeasesAndSettlesOldOnes() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub edge = hub(pair, "edge", "main")) {
            TestHub main = hub(pair, "main", "edge");
            Set<String> before;
            long[] usedBefore;
            String mainHandle = null; // <lease id>.<lease secret> of one of main's leases
            try {
                await("peers connected", () -> main.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED);
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> granted = acquireResponse(main);
                    assertThat(granted.statusCode()).isEqualTo(200);
                    mainHandle = granted.body().replaceAll(".*\"leaseId\":\"([^\"]+)\".*", "$1");
                    assertThat(acquire(edge)).isEqualTo(200);
                }
                await("main folded edge's grants", () -> openLeaseIds(main).size() == 12);
                HubRuntime runtime = main.bean(HubRuntime.class);
                await("a snapshot covering both ledgers", () -> {
                    SnapshotMark s = runtime.snapshots().latest();
                    return s != null && s.events() >= 12 && s.peerSeq() > 0;
                });
                before = openLeaseIds(main);
                usedBefore = used(main);
            } finally {
                main.crash(); // not a planned stop: that would hand main's leases to edge, and this restart keeps them
            }
            assertThat(acquire(edge)).isEqualTo(200); // in the peer copy after the snapshot: the tail

            try (TestHub restarted = hub(pair, "main", "edge")) {
                HubSnapshot from = restarted.bean(HubRuntime.class).restoredFrom();
                assertThat(from).isNotNull();
                assertThat(from.peerSeq()).isPositive();
                await("the peer's new grant folded", () -> openLeaseIds(restarted).size() == 13);
                assertThat(openLeaseIds(restarted)).containsAll(before);
                long[] usedAfter = used(restarted);
                assertThat(usedAfter[0]).isEqualTo(usedBefore[0]);          // main's own use
                assertThat(usedAfter[1]).isEqualTo(usedBefore[1] + 1);      // edge's, plus its new grant

                String mainLease = mainHandle.substring(0, mainHandle.lastIndexOf('.'));
                assertThat(before).contains(mainLease);
                HttpResponse<String> bare = restarted.post("/api/v1/leases/" + mainLease + "/complete", "{\"tokensUsed\":1,\"outcome\":\"OK\"}");
                assertThat(bare.statusCode()).as("the snapshot keeps only the secret's digest: " + bare.body()).isEqualTo(403);
                HttpResponse<String> done = restarted.post("/api/v1/leases/" + mainHandle + "/complete", "{\"tokensUsed\":1,\"outcome\":\"OK\"}");
                assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
                assertThat(done.body()).contains("\"settled\":true");
            }
        }
    }

    /** {units used by main, by edge} of the pool's key limit, as main sees them. */
    private static long[] used(TestHub hub) {
        var row = hub.bean(QuotaEngine.class).budgetTable().stream().filter(b -> b.ref().toString().contains("k1")).findFirst().orElseThrow();
        return new long[] {row.usedByHub().getOrDefault("main", 0L), row.usedByHub().getOrDefault("edge", 0L)};
    }
}
