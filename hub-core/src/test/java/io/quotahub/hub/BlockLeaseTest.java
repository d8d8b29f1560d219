package io.quotahub.hub;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Granted;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blocks over NATS (docs/architecture.md, "Block leases"): granted with their calls and the time
 * the agent may use them, settled with the calls used, expired whole when never settled, and a
 * restart's replay of the ledger gives the same windows.
 */
class BlockLeaseTest {

    @TempDir
    Path dir;

    private Map<String, Object> pools(String blocksExpiry) {
        return Map.of(
                "fast", Map.of("blocks", Map.of("max-calls", 10, "expiry", blocksExpiry),
                        "keys", List.of(key("f1", secretFile(dir, "f1", "sk-block-test-000001"), List.of(requests(100, "1h"))))),
                "plain", Map.of("keys", List.of(key("p1", secretFile(dir, "p1", "sk-block-test-000002"), List.of(requests(100, "1h"))))));
    }

    private static AcquireReply acquire(Connection c, String pool, int blockCalls) throws Exception {
        AcquireRequest r = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("fast-agent")
                .setPool(pool).setTokens(1).setBlockCalls(blockCalls)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        Message m = c.request(Subjects.ACQUIRE, r.toByteArray(), Duration.ofSeconds(5));
        return AcquireReply.parseFrom(m.getData());
    }

    private static SettleReply settle(Connection c, Granted g, int callsUsed) throws Exception {
        SettleRequest s = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("fast-agent")
                .setLeaseId(g.getLeaseId()).setLeaseSecret(g.getLeaseSecret()).setOutcome(Outcome.OK).setTokensUsed(Math.max(0, callsUsed))
                .setCallsUsed(callsUsed).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        return SettleReply.parseFrom(c.request(Subjects.SETTLE, s.toByteArray(), Duration.ofSeconds(5)).getData());
    }

    private static long used(TestHub hub, int pool) {
        return hub.bean(QuotaEngine.class).view().pools().get(pool).keys().get(0).limits().get(0).used();
    }

    private static int poolIndex(TestHub hub, String name) {
        var pools = hub.bean(QuotaEngine.class).view().pools();
        for (int i = 0; i < pools.size(); i++) {
            if (pools.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void aBlockIsGrantedSettledWithTheCallsUsed_anUnsettledOneExpiresWhole_andARestartReplaysTheSame() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection agent = Nats.connect(nats.url())) {
            long usedBefore;
            try (TestHub hub = TestHub.start(nats, "main", pools("1s"))) {
                int fast = poolIndex(hub, "fast");
                AcquireReply first = acquire(agent, "fast", 8);
                assertThat(first.hasGranted()).as(first.toString()).isTrue();
                Granted g = first.getGranted();
                assertThat(g.getBlockCalls()).isEqualTo(8);
                assertThat(g.getTokens()).isEqualTo(8);
                assertThat(g.getBlockExpiresInMs()).isEqualTo(1_000);
                assertThat(used(hub, fast)).isEqualTo(8);

                assertThat(settle(agent, g, 3).getSettled()).isTrue();
                assertThat(used(hub, fast)).isEqualTo(3);

                Granted forgotten = acquire(agent, "fast", 5).getGranted();
                assertThat(forgotten.getBlockCalls()).isEqualTo(5);
                Awaitility.await("the forgotten block expires").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                        .until(() -> hub.bean(QuotaEngine.class).view().openLeases() == 0);
                assertThat(used(hub, fast)).isEqualTo(3 + 5);
                usedBefore = used(hub, fast);
            }
            try (TestHub restarted = TestHub.start(nats, "main", pools("1s"))) {
                assertThat(restarted.bean(QuotaEngine.class).view().openLeases()).isZero();
                assertThat(used(restarted, poolIndex(restarted, "fast"))).isEqualTo(usedBefore);
            }
        }
    }

    @Test
    void aBlockSettledOverHttp_whichCannotSayItsCalls_countsThemAll() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection agent = Nats.connect(nats.url());
             TestHub hub = TestHub.start(nats, "main", pools("2s"))) {
            Granted g = acquire(agent, "fast", 6).getGranted();

            var r = hub.post("/api/v1/leases/" + g.getLeaseId() + "." + g.getLeaseSecret() + "/complete",
                    "{\"tokensUsed\":2,\"outcome\":\"OK\"}");

            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(used(hub, poolIndex(hub, "fast"))).isEqualTo(6);
        }
    }

    @Test
    void aPoolWithoutBlocks_answersABlockRequestWithALeaseOfOneCall() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection agent = Nats.connect(nats.url());
             TestHub hub = TestHub.start(nats, "main", pools("2s"))) {
            AcquireReply reply = acquire(agent, "plain", 8);

            assertThat(reply.getGranted().getBlockCalls()).isZero();
            assertThat(reply.getGranted().getBlockExpiresInMs()).isZero();
            assertThat(used(hub, poolIndex(hub, "plain"))).isEqualTo(1);
        }
    }

    @Test
    void aHostileBlockSizeOrCallCount_isRefusedAndChangesNothing() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection agent = Nats.connect(nats.url());
             TestHub hub = TestHub.start(nats, "main", pools("2s"))) {
            AcquireReply negative = acquire(agent, "fast", -1);
            AcquireReply huge = acquire(agent, "fast", Integer.MAX_VALUE);

            assertThat(negative.getError().getMessage()).contains("blockCalls");
            assertThat(huge.getError().getMessage()).contains("blockCalls");
            assertThat(hub.bean(QuotaEngine.class).view().openLeases()).isZero();

            Granted g = acquire(agent, "fast", 4).getGranted();
            SettleReply bad = settle(agent, g, -2);
            assertThat(bad.getError().getMessage()).contains("callsUsed");
            assertThat(hub.bean(QuotaEngine.class).openLease(g.getLeaseId())).isPresent();
        }
    }
}
