package io.quotahub.hub.audit;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.TestHub;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Grant;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokenEntry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The principal a grant records (the NATS user of the reply's agent inbox, or the HTTP token), and
 * that only that principal may settle the lease: a real hub, agents on real NATS connections.
 */
class LedgerPrincipalTest {

    static final String AGENT = "agent-token-principal-6b1f0c2e9d";
    static final String OTHER_AGENT = "agent-token-principal-other-71aa";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection alice;
    static Connection bob;
    static Connection anonymous;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys", List.of(
                        key("k1", secretFile(dir, "k1", "sk-principal-test-0001"), List.of(requests(1000, "1h")))))),
                Map.of("quotahub.security.tokens", List.of(
                        tokenEntry("agents", "AGENT", Files.writeString(dir.resolve("a.token"), AGENT)),
                        tokenEntry("other-agents", "AGENT", Files.writeString(dir.resolve("o.token"), OTHER_AGENT)))));
        alice = agent("alice");
        bob = agent("bob");
        anonymous = Nats.connect(nats.url());
    }

    /** A connection whose replies come to NATS user {@code user}'s agent inbox. */
    private static Connection agent(String user) throws Exception {
        return Nats.connect(Options.builder().server(nats.url()).inboxPrefix(Subjects.agentInboxPrefix(user)).build());
    }

    @AfterAll
    static void stop() throws Exception {
        alice.close();
        bob.close();
        anonymous.close();
        hub.close();
        nats.close();
    }

    private static AcquireReply acquire(Connection c, String agentId) throws Exception {
        AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId(agentId)
                .setPool("demo").setTokens(1).setPriority(Priority.NORMAL)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        Message reply = c.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5));
        AcquireReply parsed = AcquireReply.parseFrom(reply.getData());
        assertThat(parsed.hasGranted()).as(parsed.toString()).isTrue();
        return parsed;
    }

    private static SettleReply settle(Connection c, AcquireReply granted, String agentId) throws Exception {
        SettleRequest request = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                .setLeaseId(granted.getGranted().getLeaseId()).setLeaseSecret(granted.getGranted().getLeaseSecret())
                .setAgentId(agentId).setTokensUsed(1).setOutcome(Outcome.OK)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        return SettleReply.parseFrom(c.request(Subjects.SETTLE, request.toByteArray(), Duration.ofSeconds(5)).getData());
    }

    /** Every Grant in the hub's ledger, by lease id. */
    static Grant grantInLedger(String leaseId) throws Exception {
        for (LedgerEvent e : ledgerEvents(anonymous, "main")) {
            if (e.hasGrant() && e.getGrant().getLeaseId().equals(leaseId)) {
                return e.getGrant();
            }
        }
        throw new AssertionError("no Grant of " + leaseId + " in the ledger");
    }

    static List<LedgerEvent> ledgerEvents(Connection c, String hubId) throws Exception {
        var jsm = c.jetStreamManagement();
        String stream = Subjects.ledgerStream(hubId);
        long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
        List<LedgerEvent> events = new ArrayList<>();
        for (long seq = 1; seq <= last; seq++) {
            var m = jsm.getMessage(stream, seq);
            if (m.getSubject().equals(Subjects.ledgerEvents(hubId))) {
                events.addAll(LedgerBatch.parseFrom(m.getData()).getEventsList());
            }
        }
        return events;
    }

    private static boolean open(String leaseId) {
        return hub.bean(QuotaEngine.class).openLease(leaseId).isPresent();
    }

    private static Map<String, Object> json(HttpResponse<String> r) throws IOException {
        return hub.bean(JsonMapper.class).readValue(r.body(), Argument.mapOf(String.class, Object.class));
    }

    @Test
    void grantOverNats_recordsTheNatsUserOfTheReplyInboxNotTheDeclaredAgentId() throws Exception {
        AcquireReply granted = acquire(alice, "claims-to-be-bob");

        Grant grant = grantInLedger(granted.getGranted().getLeaseId());
        assertThat(grant.getPrincipal()).isEqualTo("nats:alice");
        assertThat(grant.getAgentId()).isEqualTo("claims-to-be-bob");
    }

    @Test
    void grantOverNatsWithTheDefaultInbox_isUnauthenticatedAndSettlesAsBefore() throws Exception {
        AcquireReply granted = acquire(anonymous, "anon-agent");

        assertThat(grantInLedger(granted.getGranted().getLeaseId()).getPrincipal()).isEmpty();
        assertThat(settle(bob, granted, "anything").getSettled()).as("an unbound lease: the secret is enough").isTrue();
    }

    @Test
    void settleByAnotherNatsUser_isForbiddenAndLeavesTheLeaseOpen() throws Exception {
        AcquireReply granted = acquire(alice, "a1");
        String leaseId = granted.getGranted().getLeaseId();

        SettleReply byBob = settle(bob, granted, "a1");
        SettleReply unauthenticated = settle(anonymous, granted, "a1");

        assertThat(byBob.getError().getErrorCode()).isEqualTo(ErrorReply.Code.FORBIDDEN);
        assertThat(byBob.getError().getMessage()).contains(leaseId).contains("another principal");
        assertThat(unauthenticated.getError().getErrorCode()).as("no identity is not alice's").isEqualTo(ErrorReply.Code.FORBIDDEN);
        assertThat(open(leaseId)).isTrue();
        assertThat(ledgerEvents(anonymous, "main")).noneMatch(e -> e.hasSettle() && e.getSettle().getLeaseId().equals(leaseId));

        SettleReply byAlice = settle(alice, granted, "a1");
        assertThat(byAlice.hasError()).as(byAlice.toString()).isFalse();
        assertThat(byAlice.getSettled()).isTrue();
        assertThat(open(leaseId)).isFalse();
    }

    @Test
    void retryOfARequestIdByAnotherNatsUser_getsNoLease() throws Exception {
        AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("a2")
                .setPool("demo").setTokens(1).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        AcquireReply first = AcquireReply.parseFrom(alice.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5)).getData());
        AcquireReply byBob = AcquireReply.parseFrom(bob.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5)).getData());
        AcquireReply retryByAlice = AcquireReply.parseFrom(alice.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5)).getData());

        assertThat(first.hasGranted()).isTrue();
        assertThat(byBob.hasGranted()).isFalse();
        assertThat(byBob.getError().getErrorCode()).isEqualTo(ErrorReply.Code.FORBIDDEN);
        assertThat(byBob.toString()).doesNotContain(first.getGranted().getLeaseSecret());
        assertThat(retryByAlice.getGranted().getLeaseSecret()).isEqualTo(first.getGranted().getLeaseSecret());
    }

    @Test
    void grantOverHttp_recordsTheTokenAndOnlyThatTokenMayComplete() throws Exception {
        HttpResponse<String> acquired = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"h1\"}", AGENT);
        assertThat(acquired.statusCode()).as(acquired.body()).isEqualTo(200);
        String handle = (String) json(acquired).get("leaseId");
        String leaseId = handle.substring(0, handle.lastIndexOf('.'));

        assertThat(grantInLedger(leaseId).getPrincipal()).isEqualTo("token:agents");

        HttpResponse<String> byOther = hub.post("/api/v1/leases/" + handle + "/complete", "{\"tokensUsed\":1}", OTHER_AGENT);
        assertThat(byOther.statusCode()).isEqualTo(403);
        assertThat(json(byOther)).containsEntry("error", "forbidden");
        assertThat(open(leaseId)).isTrue();

        HttpResponse<String> byHolder = hub.post("/api/v1/leases/" + handle + "/complete", "{\"tokensUsed\":1}", AGENT);
        assertThat(byHolder.statusCode()).as(byHolder.body()).isEqualTo(200);
        assertThat(open(leaseId)).isFalse();
    }
}
