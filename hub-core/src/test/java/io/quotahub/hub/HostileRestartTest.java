package io.quotahub.hub;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Granted;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input whose effect must also hold across a restart (a replay of the ledger): a provider
 * Retry-After of ten years cools a key for at most quotahub.max-cooldown, and reset-key clears it
 * for good; a lease's secret survives in the ledger only as its digest, and still decides who may
 * settle the lease after a restart.
 */
class HostileRestartTest {

    private static final long TEN_YEARS_MS = 315_360_000_000L;
    private static final Duration MAX_COOLDOWN = Duration.ofMinutes(10);
    /** How long a settle may take to reach the engine after the test's clock reading. */
    private static final Duration SLACK = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Map<String, Object> pools() {
        Path s = secretFile(dir, "k", "sk-hostile-restart-0001");
        return Map.of("cool", Map.of("keys", List.of(
                key("c1", s, List.of(requests(100, "1h"))),
                key("c2", s, List.of(requests(100, "1h"))))));
    }

    private TestHub start(NatsServer nats) {
        return TestHub.start(nats, "main", pools(), Map.of("quotahub.max-cooldown", "10m"));
    }

    private static AcquireRequest request(String requestId) {
        return AcquireRequest.newBuilder().setRequestId(requestId).setAgentId("restart-agent").setPool("cool").setTokens(1)
                .setPriority(Priority.NORMAL).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
    }

    private static AcquireReply acquire(Connection client, AcquireRequest request) throws Exception {
        Message reply = client.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5));
        return AcquireReply.parseFrom(reply.getData());
    }

    private static SettleReply settle(Connection client, Granted lease, String secret, Outcome outcome, long retryAfterMs)
            throws Exception {
        SettleRequest request = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                .setLeaseId(lease.getLeaseId()).setLeaseSecret(secret).setAgentId("restart-agent").setTokensUsed(1)
                .setOutcome(outcome).setRetryAfterMs(retryAfterMs).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        return SettleReply.parseFrom(client.request(Subjects.SETTLE, request.toByteArray(), Duration.ofSeconds(5)).getData());
    }

    private static KeyView keyView(TestHub hub, String keyId) {
        return hub.bean(QuotaEngine.class).view().pools().get(0).keys().stream().filter(k -> k.id().equals(keyId))
                .findFirst().orElseThrow();
    }

    private static Map<String, Object> json(TestHub hub, HttpResponse<String> response) {
        try {
            return hub.bean(JsonMapper.class).readValue(response.body(), Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    /** Every Settle event in main's ledger. */
    private static List<LedgerEvent> settles(Connection client) throws Exception {
        JetStreamManagement jsm = client.jetStreamManagement();
        String stream = Subjects.ledgerStream("main");
        long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
        List<LedgerEvent> found = new ArrayList<>();
        for (long seq = 1; seq <= last; seq++) {
            try {
                for (LedgerEvent e : LedgerBatch.parseFrom(jsm.getMessage(stream, seq).getData()).getEventsList()) {
                    if (e.hasSettle()) {
                        found.add(e);
                    }
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException notABatch) {
                // a fence
            }
        }
        return found;
    }

    @Test
    void aTenYearRetryAfterCoolsAKeyForAtMostMaxCooldown_resetKeyClearsIt_andBothHoldAfterRestarts() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection client = Nats.connect(nats.url())) {
            String overNats;
            String overHttp;
            Instant settledBefore;
            try (TestHub hub = start(nats)) {
                Granted lease = acquire(client, request(UUID.randomUUID().toString())).getGranted();
                overNats = lease.getKeyId();
                assertThat(settle(client, lease, lease.getLeaseSecret(), Outcome.RATE_LIMITED, TEN_YEARS_MS).getSettled()).isTrue();
                HttpResponse<String> httpLease = hub.post("/api/v1/acquire", "{\"pool\":\"cool\",\"tokens\":1,\"agentId\":\"curl\"}");
                assertThat(httpLease.statusCode()).as(httpLease.body()).isEqualTo(200);
                overHttp = json(hub, httpLease).get("keyId").toString();
                HttpResponse<String> done = hub.post("/api/v1/leases/" + json(hub, httpLease).get("leaseId") + "/complete",
                        "{\"tokensUsed\":1,\"outcome\":\"RATE_LIMITED\",\"retryAfterMs\":" + TEN_YEARS_MS + "}");
                assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
                settledBefore = Instant.now();

                assertThat(overHttp).as("the cooled key is skipped").isNotEqualTo(overNats);
                for (String keyId : List.of(overNats, overHttp)) {
                    assertThat(keyView(hub, keyId).cooldownUntil()).as(keyId)
                            .isNotNull().isBefore(settledBefore.plus(MAX_COOLDOWN).plus(SLACK));
                }
                assertThat(settles(client)).as("the ledger keeps the provider's word")
                        .allSatisfy(e -> assertThat(e.getSettle().getRetryAfterMs()).isEqualTo(TEN_YEARS_MS)).hasSize(2);
            }

            try (TestHub restarted = start(nats)) {
                for (String keyId : List.of(overNats, overHttp)) {
                    assertThat(keyView(restarted, keyId).cooldownUntil()).as(keyId + " after a replay")
                            .isNotNull().isBefore(settledBefore.plus(MAX_COOLDOWN).plus(SLACK));
                }

                HttpResponse<String> reset = restarted.post("/api/v1/admin/keys/cool/" + overNats + "/reset", "");
                HttpResponse<String> unknown = restarted.post("/api/v1/admin/keys/cool/nope/reset", "");

                assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
                assertThat(json(restarted, reset)).containsEntry("pool", "cool").containsEntry("keyId", overNats)
                        .containsEntry("previousCircuit", "CLOSED").containsEntry("wasDisabled", false);
                assertThat(json(restarted, reset).get("previousCooldownUntil")).as("what was cleared").isNotNull();
                assertThat(keyView(restarted, overNats).cooldownUntil()).isNull();
                assertThat(unknown.statusCode()).isEqualTo(404);
                AcquireReply afterReset = acquire(client, request(UUID.randomUUID().toString()));
                assertThat(afterReset.getGranted().getKeyId()).as("the reset key serves again").isEqualTo(overNats);
            }

            try (TestHub again = start(nats)) {
                assertThat(keyView(again, overNats).cooldownUntil()).as("the reset is replayed").isNull();
                assertThat(keyView(again, overHttp).cooldownUntil()).as("the other key still cools").isNotNull();
            }
        }
    }

    @Test
    void aLeasesSecretDecidesWhoSettlesItAfterARestart_andARetriedRequestGetsANewLease() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection client = Nats.connect(nats.url())) {
            AcquireRequest request = request("retried-across-a-restart");
            Granted lease;
            try (TestHub hub = start(nats)) {
                lease = acquire(client, request).getGranted();
                assertThat(lease.getLeaseSecret()).isNotEmpty();
            }

            try (TestHub restarted = start(nats)) {
                AcquireReply retried = acquire(client, AcquireRequest.newBuilder(request)
                        .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build());
                SettleReply wrong = settle(client, lease, "AAAAAAAAAAAAAAAAAAAAAA", Outcome.OK, 0);
                SettleReply none = settle(client, lease, "", Outcome.OK, 0);

                assertThat(retried.hasGranted()).as(retried.toString()).isTrue();
                assertThat(retried.getGranted().getLeaseId()).as("a new lease: the first one's secret is gone")
                        .isNotEqualTo(lease.getLeaseId());
                assertThat(retried.getGranted().getLeaseSecret()).isNotEmpty().isNotEqualTo(lease.getLeaseSecret());
                assertThat(retried.getNotice()).contains("a new lease");
                assertThat(wrong.getError().getErrorCode()).isEqualTo(ErrorReply.Code.FORBIDDEN);
                assertThat(none.getError().getErrorCode()).isEqualTo(ErrorReply.Code.FORBIDDEN);
                assertThat(restarted.bean(QuotaEngine.class).openLease(lease.getLeaseId())).as("the first lease still counts").isPresent();

                assertThat(settle(client, lease, lease.getLeaseSecret(), Outcome.OK, 0).getSettled())
                        .as("its holder settles it after the restart: the digest came back from the ledger").isTrue();
                AcquireReply retriedAgain = acquire(client, AcquireRequest.newBuilder(request)
                        .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build());
                assertThat(retriedAgain.getGranted().getLeaseId()).as("the new answer stands for further retries")
                        .isEqualTo(retried.getGranted().getLeaseId());
                assertThat(retriedAgain.getGranted().getLeaseSecret()).isEqualTo(retried.getGranted().getLeaseSecret());
            }
        }
    }
}
