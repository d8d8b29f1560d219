package io.quotahub.hub.service;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.Refused;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Overload is shed, not queued: a burst far above what the hub can do answers every request at
 * once — a grant that is in the ledger, or an OVERLOADED refusal with a retry-after — and the hub
 * serves normally right after.
 */
class NatsApiOverloadTest {

    private static final int BURST = 3_000;

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection client;
    static Connection shedderConnection;
    static NatsApi shedder;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        Path s1 = secretFile(dir, "k1", "sk-test-overload-key-0001");
        hub = TestHub.start(nats, "main", Map.of("wide", Map.of("keys", List.of(
                key("k1", s1, List.of(requests(1_000_000, "1h")))))));
        client = Nats.connect(nats.url());
        // A second API on the hub's services with small limits, reached on its own direct subject.
        shedderConnection = Nats.connect(nats.url());
        shedder = new NatsApi(shedderConnection, hub.bean(AcquireService.class), hub.bean(SettleService.class),
                new AgentRegistry(Clock.systemUTC(), Duration.ofSeconds(30), hub.bean(QuotaEngine.class), 100,
                        GuardMetrics.unregistered("shedder")),
                "shedder", new SimpleMeterRegistry(), InputBounds.ofDefaults(), GuardMetrics.unregistered("shedder"), 20, 16);
        shedder.start();
    }

    @AfterAll
    static void stop() throws Exception {
        shedder.close();
        shedderConnection.close();
        client.close();
        hub.close();
        nats.close();
    }

    private static byte[] request() {
        return AcquireRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setAgentId("burst-agent")
                .setPool("wide")
                .setTokens(1)
                .setPriority(Priority.NORMAL)
                .setDeadlineEpochMs(System.currentTimeMillis() + 30_000)
                .build().toByteArray();
    }

    @Test
    void aBurstAboveCapacity_getsAnAnswerForEveryRequest_grantsInTheLedgerAndTheRestRefusedAsOverloaded() throws Exception {
        List<CompletableFuture<Message>> replies = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            replies.add(client.request(Subjects.hubAcquire("shedder"), request()));
        }

        Set<String> granted = new HashSet<>();
        int shed = 0;
        for (CompletableFuture<Message> f : replies) {
            AcquireReply reply = AcquireReply.parseFrom(f.get(20, TimeUnit.SECONDS).getData());
            if (reply.hasGranted()) {
                granted.add(reply.getGranted().getLeaseId());
            } else {
                assertThat(reply.hasRefused()).as(reply.toString()).isTrue();
                assertThat(reply.getRefused().getRefusalCode()).isEqualTo(Refused.Code.OVERLOADED);
                assertThat(reply.getRefused().getRetryAfterMs()).isPositive();
                assertThat(reply.getRefused().getPool()).isEqualTo("wide");
                shed++;
            }
        }

        assertThat(shed).as("requests shed").isPositive();
        assertThat(granted).as("grants").isNotEmpty().hasSize(BURST - shed);
        assertThat(grantsInLedger()).containsAll(granted);
        // the hub keeps serving once the burst is over
        AcquireReply after = AcquireReply.parseFrom(
                client.request(Subjects.hubAcquire("shedder"), request(), Duration.ofSeconds(5)).getData());
        assertThat(after.hasGranted()).as(after.toString()).isTrue();
    }

    private static Set<String> grantsInLedger() throws Exception {
        JetStreamManagement jsm = client.jetStreamManagement();
        String stream = Subjects.ledgerStream("main");
        long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
        Set<String> leaseIds = new HashSet<>();
        for (long seq = 1; seq <= last; seq++) {
            for (LedgerEvent e : LedgerBatch.parseFrom(jsm.getMessage(stream, seq).getData()).getEventsList()) {
                if (e.hasGrant()) {
                    leaseIds.add(e.getGrant().getLeaseId());
                }
            }
        }
        return leaseIds;
    }
}
