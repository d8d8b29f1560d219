package io.quotahub.hub.twohub;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.quotahub.engine.Enforcement;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Refused;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shadow mode and canary on two hubs over real nats-servers: a shadow grant carries its would-be
 * refusal on the wire and in the ledger, both hubs fold it into the same windows and show it, the
 * metric counts it once (on the granting hub), and a canary pool enforces for the same agents on
 * both hubs.
 */
class ShadowTwoHubTest {

    private static final String SECRET = "sk-shadow-two-hub-test-0001";

    @TempDir
    Path dir;

    private Map<String, Object> pools() {
        Path secret = secretFile(dir, "k", SECRET);
        Map<String, Object> shadowLimit = new HashMap<>(requests(2, "1h"));
        shadowLimit.put("mode", "shadow");
        return Map.of(
                "watched", Map.of("preset", "PREMIUM", "keys", List.of(key("w1", secret, List.of(requests(100, "1h"), shadowLimit)))),
                "canary", Map.of("preset", "PREMIUM", "mode", "canary", "enforce-percent", 50,
                        "keys", List.of(key("c1", secret, List.of(requests(2, "1h"))))));
    }

    private TestHub hub(NatsPair pair, String id, String peer) {
        return TestHub.start(pair.server(id), id, pools(), Map.of("quotahub.peer-id", peer));
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    private static KeyView keyOf(TestHub hub, String pool) {
        return hub.bean(QuotaEngine.class).view().pools().stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow()
                .keys().get(0);
    }

    private static AcquireReply acquire(Connection client, String pool, String agent) throws Exception {
        AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId(agent)
                .setPool(pool).setTokens(1).setPriority(Priority.NORMAL).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        Message reply = client.request(Subjects.hubAcquire("main"), request.toByteArray(), Duration.ofSeconds(5));
        return AcquireReply.parseFrom(reply.getData());
    }

    private static double metric(TestHub hub, String hubId) {
        Matcher m = Pattern.compile("quotahub_shadow_refusals_total\\{code=\"QUOTA_EXHAUSTED\",hub=\"" + hubId
                + "\",key=\"w1\",pool=\"watched\"} ([0-9.]+)").matcher(hub.get("/prometheus").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void aShadowGrant_travelsOnTheWireAndInTheLedger_andBothHubsFoldAndShowIt() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main");
             Connection client = Nats.connect(pair.server("main").url())) {
            await("peers connected", () -> main.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED
                    && edge.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED);

            List<AcquireReply> replies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                replies.add(acquire(client, "watched", "agent-" + i));
            }

            assertThat(replies).allMatch(AcquireReply::hasGranted);
            // judged against the whole limit (2 an hour, both hubs), not main's share of it
            assertThat(replies.subList(0, 2)).allMatch(r -> !r.getGranted().hasShadowRefusal());
            assertThat(replies.subList(2, 4)).allSatisfy(r -> {
                assertThat(r.getGranted().getShadowRefusal().getRefusalCode()).isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
                assertThat(r.getGranted().getShadowRefusal().getLimit()).isEqualTo("requests 2/PT1H");
                assertThat(r.getNotice()).contains("granted in shadow mode");
            });
            MessageInfo last = client.jetStreamManagement().getLastMessage(Subjects.ledgerStream("main"), Subjects.ledgerEvents("main"));
            List<LedgerEvent> events = LedgerBatch.parseFrom(last.getData()).getEventsList();
            assertThat(events).anySatisfy(e -> {
                assertThat(e.getGrant().getShadow().getRefusalCode()).isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
                assertThat(e.getGrant().getShadow().toString()).doesNotContain(SECRET);
            });

            await("the peer folds the shadow grants", () -> keyOf(edge, "watched").limits().get(1).used() == 4);
            assertThat(keyOf(main, "watched").limits().get(1).used()).isEqualTo(4);
            String edgeState = edge.get("/api/v1/state").body();
            assertThat(edgeState).contains("\"shadowRefusals\":[{\"pool\":\"watched\",\"keyId\":\"w1\",\"code\":\"QUOTA_EXHAUSTED\"")
                    .contains("\"count\":2").contains("\"lastHub\":\"main\"").contains("\"mode\":\"shadow\"");
            assertThat(main.get("/api/v1/state").body()).contains("\"count\":2");
            assertThat(metric(main, "main")).isEqualTo(2.0);
            assertThat(metric(edge, "edge")).as("counted once: by the hub that granted").isEqualTo(0.0);
        }
    }

    @Test
    void aCanaryPool_enforcesForTheSameAgentsOnBothHubs_andShadowsForTheOthers() {
        String enforced = agentWhere(true);
        String shadowed = agentWhere(false);
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            for (TestHub hub : List.of(main, edge)) {
                assertThat(hub.post("/api/v1/acquire", body(shadowed)).statusCode()).isEqualTo(200);
            }
            await("both hubs count both grants: the 2 an hour are used", () -> keyOf(main, "canary").limits().get(0).used() == 2
                    && keyOf(edge, "canary").limits().get(0).used() == 2);
            for (TestHub hub : List.of(main, edge)) {
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> refused = hub.post("/api/v1/acquire", body(enforced));
                    HttpResponse<String> granted = hub.post("/api/v1/acquire", body(shadowed));
                    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
                    assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
                    assertThat(granted.body()).contains("\"shadowRefusal\"");
                }
            }
        }
    }

    private static String body(String agent) {
        return "{\"pool\":\"canary\",\"tokens\":1,\"agentId\":\"" + agent + "\"}";
    }

    /** The first agent id {@code canary-N} the 50 % canary enforces for (or not). */
    private static String agentWhere(boolean enforcedFor) {
        for (int i = 0; ; i++) {
            String agent = "canary-" + i;
            if (Enforcement.canary(50).enforcesFor(agent) == enforcedFor) {
                return agent;
            }
        }
    }
}
