package io.quotahub.hub.twohub;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.proto.LimitKind;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.ProviderLimit;
import io.quotahub.proto.ProviderReport;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider's word through both entrances, on two hubs with real nats-servers: external use a
 * report reveals is booked on the hub that got it, folded by its peer, and rebuilt by a restart;
 * an observed lower limit shows in the state and the diagnostics, and with learn-limits both hubs
 * enforce it.
 */
class ProviderReportTwoHubTest {

    private static final String KEY_SECRET = "sk-provider-report-test-0001";
    private static final Pattern LEASE_ID = Pattern.compile("\"leaseId\":\"([^\"]+)\"");

    @TempDir
    Path dir;

    private Map<String, Object> pools() {
        Path secret = secretFile(dir, "k", KEY_SECRET);
        return Map.of(
                "demo", Map.of("preset", "PREMIUM", "keys", List.of(key("k1", secret, List.of(requests(100, "1h"))))),
                "learn", Map.of("preset", "PREMIUM", "learn-limits", true, "keys", List.of(key("k2", secret, List.of(requests(100, "1h"))))));
    }

    private TestHub hub(NatsPair pair, String id, String peer) {
        return TestHub.start(pair.server(id), id, pools(), Map.of("quotahub.peer-id", peer));
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    private static void connected(TestHub main, TestHub edge) {
        await("peers connected", () -> main.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED
                && edge.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED);
    }

    private static KeyView keyOf(TestHub hub, String pool) {
        PoolView p = hub.bean(QuotaEngine.class).view().pools().stream().filter(v -> v.name().equals(pool)).findFirst().orElseThrow();
        return p.keys().get(0);
    }

    private static LimitView limit(TestHub hub, String pool) {
        return keyOf(hub, pool).limits().get(0);
    }

    /** A lease of {@code pool} over HTTP: its handle ({@code <lease id>.<lease secret>}). */
    private static String acquire(TestHub hub, String pool) {
        HttpResponse<String> r = hub.post("/api/v1/acquire", "{\"pool\":\"" + pool + "\",\"tokens\":1,\"agentId\":\"t\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Matcher m = LEASE_ID.matcher(r.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static String report(long limit, long remaining, long resetAfterMs) {
        return "{\"tokensUsed\":0,\"outcome\":\"OK\",\"callDurationMs\":412,\"provider\":{\"quotaId\":\"rpm\",\"limits\":[{\"kind\":\"REQUESTS\",\"limit\":"
                + limit + ",\"remaining\":" + remaining + ",\"resetAfterMs\":" + resetAfterMs + "}]}}";
    }

    private static SettleReply settleOverNats(Connection client, String handle, ProviderReport report) throws Exception {
        int dot = handle.lastIndexOf('.');
        SettleRequest request = SettleRequest.newBuilder().setRequestId("s-" + handle.substring(0, dot))
                .setLeaseId(handle.substring(0, dot)).setLeaseSecret(handle.substring(dot + 1)).setAgentId("t")
                .setOutcome(Outcome.OK).setDeadlineEpochMs(System.currentTimeMillis() + 5_000)
                .setCallDurationMs(250).setProvider(report).build();
        Message reply = client.request(Subjects.SETTLE, request.toByteArray(), Duration.ofSeconds(5));
        return SettleReply.parseFrom(reply.getData());
    }

    private static ProviderReport requestsLeft(long limit, long remaining) {
        return ProviderReport.newBuilder().setQuotaId("rpm").addLimits(ProviderLimit.newBuilder().setKind(LimitKind.REQUESTS)
                .setLimit(limit).setRemaining(remaining).setResetAfterMs(3_600_000)).build();
    }

    @Test
    void reportsOverNatsAndHttp_bookExternalUseOnBothHubs_andARestartRebuildsIt() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub edge = hub(pair, "edge", "main");
             Connection client = Nats.connect(pair.main().url())) {
            TestHub main = hub(pair, "main", "edge");
            try {
                connected(main, edge);
                // NATS: the hubs count 1 call, the provider says 60 of 100 are left: 39 were made elsewhere
                SettleReply settled = settleOverNats(client, acquire(main, "demo"), requestsLeft(100, 60));
                assertThat(settled.getSettled()).as(settled.toString()).isTrue();
                await("both hubs count the external use", () -> limit(main, "demo").used() == 40 && limit(edge, "demo").used() == 40);

                // HTTP at the other hub: 41 counted, 50 left: 9 more
                String handle = acquire(edge, "demo");
                HttpResponse<String> done = edge.post("/api/v1/leases/" + handle + "/complete", report(100, 50, 3_600_000));
                assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
                await("both hubs count it", () -> limit(main, "demo").used() == 50 && limit(edge, "demo").used() == 50);
                assertThat(main.get("/api/v1/state").body()).contains("\"externalUse\":48");
            } finally {
                main.close();
            }
            try (TestHub again = hub(pair, "main", "edge")) {
                assertThat(limit(again, "demo").used()).isEqualTo(50);
                assertThat(keyOf(again, "demo").externalBooked()).isEqualTo(48);
            }
        }
    }

    @Test
    void anObservedLowerLimit_showsInStateAndDiagnostics_andWithLearnLimitsBothHubsEnforceIt() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main")) {
            connected(main, edge);
            HttpResponse<String> demo = main.post("/api/v1/leases/" + acquire(main, "demo") + "/complete", report(80, 79, 3_600_000));
            HttpResponse<String> learn = main.post("/api/v1/leases/" + acquire(main, "learn") + "/complete", report(40, 39, 3_600_000));
            assertThat(demo.statusCode()).isEqualTo(200);
            assertThat(learn.statusCode()).isEqualTo(200);

            await("the peer folds both observations", () -> Long.valueOf(80).equals(limit(edge, "demo").observedLimit())
                    && limit(edge, "learn").enforced() == 40);
            assertThat(limit(main, "demo").enforced()).isEqualTo(100); // demo does not learn
            assertThat(limit(main, "learn").budget() + limit(edge, "learn").budget()).isLessThanOrEqualTo(40);
            String state = edge.get("/api/v1/state").body();
            assertThat(state).contains("\"capacity\":100,").contains("\"observedLimit\":80,").contains("\"observedLimit\":40,")
                    .contains("\"enforced\":40");
            String diagnostics = main.get("/api/v1/diagnostics?level=CRITICAL").body();
            assertThat(diagnostics).contains("reports a requests limit of 80 per PT1H where 100 is configured")
                    .contains("the hubs enforce 40 (learn-limits)").doesNotContain(KEY_SECRET);

            // an operator's reset of the key brings the configured limit back on both hubs
            HttpResponse<String> reset = edge.post("/api/v1/admin/keys/learn/k2/reset", "");
            assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
            await("both hubs enforce the configured limit again", () -> limit(main, "learn").enforced() == 100
                    && limit(edge, "learn").enforced() == 100 && limit(main, "learn").observedLimit() == null);
        }
    }
}
