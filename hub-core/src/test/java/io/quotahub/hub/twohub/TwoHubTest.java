package io.quotahub.hub.twohub;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.BudgetView;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
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

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * hub-main and hub-edge in one JVM, each beside its own nats-server (JetStream domains main and
 * edge, edge joined to main by a leafnode through a proxy the test can cut).
 */
class TwoHubTest {

    private static final int CAPACITY = 100;

    @TempDir
    Path dir;

    private Map<String, Object> pools() {
        return Map.of("demo", Map.of("preset", "PREMIUM", "high-priority-agents", List.of("t"),
                "keys", List.of(key("k1", secretFile(dir, "k1", "sk-two-hub-test-000001"), List.of(requests(CAPACITY, "1h"))))));
    }

    private TestHub hub(NatsPair pair, String id, String peer) {
        return TestHub.start(pair.server(id), id, pools(), Map.of("quotahub.peer-id", peer, "quotahub.takeover-after", "1500ms"));
    }

    private static int acquire(TestHub hub) {
        HttpResponse<String> r = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"t\",\"priority\":\"HIGH\"}");
        return r.statusCode();
    }

    private static BudgetView budget(TestHub hub) {
        return hub.bean(QuotaEngine.class).budgetTable().get(0);
    }

    private static long ownBudget(TestHub hub, String id) {
        return budget(hub).budgetByHub().getOrDefault(id, 0L);
    }

    private static long usedAll(TestHub hub) {
        return budget(hub).usedByHub().values().stream().mapToLong(Long::longValue).sum();
    }

    private static PeerStatus peerStatus(TestHub hub) {
        return hub.bean(HubRuntime.class).replication().status();
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    @Test
    void bothHubsSeeEachOtherAndEachOthersLeases() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", Duration.ofSeconds(10),
                    () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);

            for (int i = 0; i < 5; i++) {
                assertThat(acquire(main)).isEqualTo(200);
            }
            assertThat(acquire(edge)).isEqualTo(200);

            await("both hubs count all 6 leases", Duration.ofSeconds(5), () -> usedAll(main) == 6 && usedAll(edge) == 6);
            assertThat(main.get("/api/v1/state").body()).contains("\"peer\":{\"hubId\":\"edge\",\"status\":\"CONNECTED\"");
            BudgetView atMain = budget(main);
            assertThat(atMain.budgetByHub().values().stream().mapToLong(Long::longValue).sum() + atMain.inFlight()).isLessThanOrEqualTo(CAPACITY);
        }
    }

    @Test
    void whenAllLoadIsOnOneSideThatSideGetsNearlyAllTheCapacity() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            assertThat(ownBudget(main, "main")).isEqualTo(50);

            long granted = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (ownBudget(main, "main") < 85 && System.nanoTime() < deadline) {
                if (acquire(main) == 200) {
                    granted++;
                }
                Thread.sleep(20);
            }

            assertThat(ownBudget(main, "main")).isGreaterThanOrEqualTo(85);
            assertThat(ownBudget(edge, "edge")).isGreaterThanOrEqualTo(10); // the floor stays
            assertThat(granted).isPositive();
            await("edge agrees on the budgets", Duration.ofSeconds(5),
                    () -> budget(edge).budgetByHub().equals(budget(main).budgetByHub()));
        }
    }

    @Test
    void aSplitStopsTransfersButEachSideKeepsServingFromItsOwnBudgetAndTheyConvergeAfterHeal() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);

            pair.link().cut();
            await("both see the split", Duration.ofSeconds(10),
                    () -> peerStatus(main) == PeerStatus.PARTITIONED && peerStatus(edge) == PeerStatus.PARTITIONED);
            int mainGrants = 0;
            int edgeGrants = 0;
            for (int i = 0; i < 80; i++) {
                mainGrants += acquire(main) == 200 ? 1 : 0;
                edgeGrants += acquire(edge) == 200 ? 1 : 0;
            }

            assertThat(mainGrants + edgeGrants).isLessThanOrEqualTo(CAPACITY);
            assertThat(mainGrants).isGreaterThanOrEqualTo(40);
            assertThat(edgeGrants).isGreaterThanOrEqualTo(40);

            pair.link().heal();
            int total = mainGrants + edgeGrants;
            await("both hubs count every lease after heal", Duration.ofSeconds(15),
                    () -> usedAll(main) == total && usedAll(edge) == total
                            && peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            assertThat(budget(main).budgetByHub()).isEqualTo(budget(edge).budgetByHub());
        }
    }

    @Test
    void declareDeadHandsTheSurvivorThePeersBudgetAndSaysWhatThatRisks() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.CONNECTED);
            HttpResponse<String> whileConnected = main.post("/api/v1/admin/peer/declare-dead", "");
            assertThat(whileConnected.statusCode()).isEqualTo(409);
            assertThat(ownBudget(main, "main")).isEqualTo(50);

            pair.link().cut();
            await("main sees the split", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.PARTITIONED);
            assertThat(ownBudget(main, "main")).as("a split alone moves no budget").isEqualTo(50);
            HttpResponse<String> declared = main.post("/api/v1/admin/peer/declare-dead", "");

            assertThat(declared.statusCode()).as(declared.body()).isEqualTo(200);
            assertThat(declared.body()).contains("\"declared\":true").contains("\"peerStatus\":\"DEAD\"")
                    .contains("without a fence").contains("alive behind a network split");
            await("main holds the whole capacity", Duration.ofSeconds(5), () -> ownBudget(main, "main") == CAPACITY);
            assertThat(main.get("/api/v1/state").body()).contains("\"status\":\"DEAD\"");
        }
    }

    @Test
    void aDeadHubIsFencedAndTakenOverAndRejoinsWithBudgetZeroAfterARestart() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub edge = hub(pair, "edge", "main")) {
            TestHub main = hub(pair, "main", "edge");
            await("peers connected", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            for (int i = 0; i < 10; i++) {
                assertThat(acquire(main)).isEqualTo(200);
            }
            await("edge saw main's leases", Duration.ofSeconds(5), () -> usedAll(edge) == 10);

            main.crash(); // the process is gone; its NATS server still answers

            await("edge fenced main and took its budget", Duration.ofSeconds(10),
                    () -> peerStatus(edge) == PeerStatus.FENCED && ownBudget(edge, "edge") == CAPACITY);
            assertThat(budget(edge).usedByHub().getOrDefault("edge", 0L)).as("main's leases count against edge now").isEqualTo(10);
            int served = 0;
            for (int i = 0; i < CAPACITY; i++) {
                served += acquire(edge) == 200 ? 1 : 0;
            }
            assertThat(served).isEqualTo(CAPACITY - 10);

            try (TestHub restarted = hub(pair, "main", "edge")) {
                assertThat(ownBudget(restarted, "main")).isZero();
                assertThat(acquire(restarted)).isEqualTo(429);
                await("edge sees main back", Duration.ofSeconds(10), () -> peerStatus(edge) == PeerStatus.CONNECTED);
                assertThat(usedAll(restarted)).isEqualTo(CAPACITY);
            }
        }
    }

    private static java.time.Instant cooldownUntil(TestHub hub) {
        return hub.bean(QuotaEngine.class).view().pools().get(0).keys().get(0).cooldownUntil();
    }

    @Test
    void aKeyResetOnOneHubIsFoldedByTheOther() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            await("peers connected", Duration.ofSeconds(10),
                    () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            HttpResponse<String> lease = main.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"t\"}");
            String handle = lease.body().replaceAll(".*\"leaseId\":\"([^\"]+)\".*", "$1");
            HttpResponse<String> limited = main.post("/api/v1/leases/" + handle + "/complete",
                    "{\"tokensUsed\":1,\"outcome\":\"RATE_LIMITED\",\"retryAfterMs\":600000}");
            assertThat(limited.statusCode()).as(limited.body()).isEqualTo(200);
            await("both hubs cool the key", Duration.ofSeconds(5), () -> cooldownUntil(main) != null && cooldownUntil(edge) != null);

            HttpResponse<String> reset = main.post("/api/v1/admin/keys/demo/k1/reset", "");

            assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
            assertThat(cooldownUntil(main)).isNull();
            await("edge folds main's reset", Duration.ofSeconds(5), () -> cooldownUntil(edge) == null);
            assertThat(acquire(edge)).isEqualTo(200);
        }
    }
}
