package io.quotahub.hub;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/** Leases nobody completes are settled by the hub: at their expiry, or earlier when their agent died. */
class LeaseExpiryTest {

    @TempDir
    Path dir;

    private Map<String, Object> pools() {
        return Map.of("demo", Map.of("keys", List.of(key("k1", secretFile(dir, "k1", "sk-expiry-test-000001"), List.of(requests(100, "1h"))))));
    }

    private static String acquire(TestHub hub, String agent) {
        HttpResponse<String> r = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"" + agent + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body().replaceAll(".*\"leaseId\":\"([^\"]+)\".*", "$1");
    }

    private static void awaitNoOpenLeases(TestHub hub) {
        Awaitility.await("no open leases").atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(() -> hub.bean(QuotaEngine.class).view().openLeases() == 0);
    }

    @Test
    void anUnsettledLeaseExpiresAndTheExpiryIsReplayedAfterARestart() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            Map<String, Object> pools = pools();
            try (TestHub hub = startWith(nats, pools, "1s", "1h")) {
                String handle = acquire(hub, "forgetful");
            String leaseId = handle.substring(0, handle.lastIndexOf('.'));

                awaitNoOpenLeases(hub);

                assertThat(hub.bean(QuotaEngine.class).openLease(leaseId)).isEmpty();
                assertThat(hub.bean(QuotaEngine.class).view().pools().get(0).keys().get(0).limits().get(0).used()).isEqualTo(1);
            }
            try (TestHub restarted = startWith(nats, pools, "1h", "1h")) {
                assertThat(restarted.bean(QuotaEngine.class).view().openLeases()).isZero();
                assertThat(restarted.bean(QuotaEngine.class).view().pools().get(0).keys().get(0).limits().get(0).used()).isEqualTo(1);
            }
        }
    }

    @Test
    void theLeasesOfAnAgentThatStoppedHeartbeatingAreReclaimed() throws Exception {
        try (NatsServer nats = NatsServer.start(); TestHub hub = startWith(nats, pools(), "1h", "1s");
             Connection agent = Nats.connect(nats.url())) {
            String handle = acquire(hub, "crashy");
            String leaseId = handle.substring(0, handle.lastIndexOf('.'));
            String secret = handle.substring(handle.lastIndexOf('.') + 1);
            agent.publish(Subjects.HEARTBEAT, Heartbeat.newBuilder().setAgentId("crashy").setSentAtEpochMs(System.currentTimeMillis())
                    .addLeases(LeaseProof.newBuilder().setLeaseId(leaseId).setLeaseSecret(secret)).build().toByteArray());
            agent.flush(java.time.Duration.ofSeconds(1));

            awaitNoOpenLeases(hub);

            assertThat(hub.bean(QuotaEngine.class).openLease(leaseId)).isEmpty();
            assertThat(hub.bean(HubRuntime.class).agents().all()).doesNotContainKey("crashy");
        }
    }

    private static TestHub startWith(NatsServer nats, Map<String, Object> pools, String leaseTtl, String agentDeadAfter) {
        Map<String, Object> withTtl = new HashMap<>(pools);
        return TestHub.start(nats, "main", withTtl, Map.of("quotahub.lease-ttl", leaseTtl, "quotahub.agent-dead-after", agentDeadAfter));
    }
}
