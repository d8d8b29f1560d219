package io.quotahub.agent;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.Refused;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.FreePorts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FailoverTest extends NatsTestBase {

    @Test
    void retryAfterTimeout_reusesTheRequestId() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        FakeHub main = hub("main");
        main.onAcquire(r -> calls.incrementAndGet() == 1 ? null : main.grant(r)); // ignores the first
        QuotaClient client = client();
        awaitKnownHubs(client, "main");

        try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("main");
        }

        assertThat(main.acquires).hasSize(2);
        AcquireRequest first = main.acquires.get(0).request();
        AcquireRequest retry = main.acquires.get(1).request();
        assertThat(retry.getRequestId()).isEqualTo(first.getRequestId());
        assertThat(retry.getDeadlineEpochMs()).isGreaterThan(first.getDeadlineEpochMs());
        assertThat(main.acquires.get(0).subject()).isEqualTo(Subjects.ACQUIRE);
        assertThat(main.acquires.get(1).subject()).isEqualTo(Subjects.hubAcquire("main"));
    }

    @Test
    void hungLocalHub_failsOverToTheOtherHubsDirectSubjectAndFailsBackWhenItAnnouncesAgain() throws Exception {
        FakeHub main = hub("main");               // local: in the queue group
        FakeHub edge = directOnlyHub("edge");     // remote: NATS prefers the local queue member
        QuotaClient client = client();
        awaitKnownHubs(client, "main", "edge");
        try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("main");
        }

        main.hang(); // keeps its subscriptions, answers nothing (nats-server 2.9.10 and a SIGSTOPped hub)
        long queueRequestsBefore = main.acquiresOn(Subjects.ACQUIRE);
        try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("edge");
            assertThat(lease.apiKey()).isEqualTo(FakeHub.apiKeyOf("edge"));
        }
        assertThat(main.acquiresOn(Subjects.ACQUIRE)).isEqualTo(queueRequestsBefore + 1);
        String hungRequest = main.acquires.get(main.acquires.size() - 1).request().getRequestId();
        assertThat(edge.acquires.get(0).request().getRequestId()).isEqualTo(hungRequest);

        // while main is suspect, requests go straight to edge: main sees none
        int mainSeen = main.acquires.size();
        try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("edge");
        }
        assertThat(main.acquires).hasSize(mainSeen);
        assertThat(edge.acquires).hasSize(2);

        main.resume(); // announces itself again: failback to the queue route
        await("failback to main once it announced itself", () -> {
            try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
                return lease.hubId().equals("main");
            }
        });
        assertThat(main.acquiresOn(Subjects.ACQUIRE)).isEqualTo(queueRequestsBefore + 2);
    }

    @Test
    void tryAcquire_stillFailsOverWhenTheLocalHubHangs() throws Exception {
        FakeHub main = hub("main");
        directOnlyHub("edge");
        QuotaClient client = client();
        awaitKnownHubs(client, "main", "edge");
        main.hang();

        assertThat(client.tryAcquire("demo", 1)).hasValueSatisfying(l -> {
            assertThat(l.hubId()).isEqualTo("edge");
            l.close();
        });
    }

    @Test
    void budgetExhaustedOnTheLocalHub_asksTheOtherHubBeforeWaiting() throws Exception {
        FakeHub main = hub("main");               // a hub whose share is used up (e.g. it just rejoined)
        FakeHub edge = directOnlyHub("edge");     // holds the rest of the budget
        main.onAcquire(r -> FakeHub.refuse(5_000).setRefused(FakeHub.refuse(5_000).getRefused().toBuilder()
                .setRefusalCode(Refused.Code.BUDGET_EXHAUSTED)));
        QuotaClient client = client();
        awaitKnownHubs(client, "main", "edge");

        assertThat(client.tryAcquire("demo", 1)).hasValueSatisfying(l -> {
            assertThat(l.hubId()).isEqualTo("edge");
            l.close();
        });
        assertThat(main.acquires).hasSize(1);
        assertThat(edge.acquires).hasSize(1);
    }

    @Test
    void budgetExhaustedOnEveryHub_isARefusalAfterAskingEachOnce() throws Exception {
        FakeHub main = hub("main");
        FakeHub edge = directOnlyHub("edge");
        for (FakeHub h : List.of(main, edge)) {
            h.onAcquire(r -> FakeHub.refuse(5_000).setRefused(FakeHub.refuse(5_000).getRefused().toBuilder()
                    .setRefusalCode(Refused.Code.BUDGET_EXHAUSTED)));
        }
        QuotaClient client = client();
        awaitKnownHubs(client, "main", "edge");

        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ZERO))
                .isInstanceOfSatisfying(QuotaExhaustedException.class, e -> {
                    assertThat(e.code()).isEqualTo("BUDGET_EXHAUSTED");
                    assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(5_000));
                });
        assertThat(main.acquires).hasSize(1);
        assertThat(edge.acquires).hasSize(1);
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // gives up on its own: only a hang fails this, not a slow machine
    void noHubAtAll_throwsHubUnavailableWithinMaxWait() {
        QuotaClient client = client();

        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ofSeconds(1)))
                .isInstanceOf(HubUnavailableException.class)
                .satisfies(e -> assertThat(((QuotaHubException) e).code()).isEqualTo(HubUnavailableException.CODE))
                .hasMessageContaining("no hub answered acquire for pool 'demo'");
    }

    @Test
    void onlyHungHubs_throwHubUnavailableAfterAtLeastTwoAttempts() throws Exception {
        FakeHub main = hub("main");
        main.hang();
        QuotaClient client = client();

        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ZERO)).isInstanceOf(HubUnavailableException.class);
        assertThat(main.acquires).hasSizeGreaterThanOrEqualTo(2);
        assertThat(main.acquires).extracting(r -> r.request().getRequestId()).containsOnly(
                main.acquires.get(0).request().getRequestId());
    }

    @Test
    void builder_connectsToTheSecondServerWhenTheFirstIsDown() throws Exception {
        hub("main");
        String down = "nats://127.0.0.1:" + FreePorts.next();
        QuotaClient client = closeLater(QuotaClient.builder().servers(down, nats.url()).agentId("a2").build());

        try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("main");
        }
    }

    @Test
    void builder_throwsHubUnavailableWhenNoServerAnswers() {
        String down = "nats://127.0.0.1:" + FreePorts.next();

        assertThatThrownBy(() -> QuotaClient.builder().servers(down).build())
                .isInstanceOf(HubUnavailableException.class).hasMessageContaining(down);
    }

    @Test
    @SuppressWarnings("deprecation") // reads the deprecated lease_ids to check that they stay empty
    void heartbeats_proveEachOpenLeaseWithItsSecretAndListNoBareIds() throws Exception {
        hub("main");
        try (Connection listener = Nats.connect(nats.url())) {
            Subscription sub = listener.subscribe(Subjects.HEARTBEAT);
            listener.flush(Duration.ofSeconds(2));
            QuotaClient client = closeLater(clientBuilder().heartbeatInterval(Duration.ofMillis(100)).build());

            Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5));
            Heartbeat withLease = nextHeartbeat(sub, hb -> hb.getLeasesCount() > 0);
            assertThat(withLease.getAgentId()).isEqualTo("test-agent");
            assertThat(withLease.getSentAtEpochMs()).isPositive();
            assertThat(withLease.getLeasesList()).containsExactly(LeaseProof.newBuilder()
                    .setLeaseId(lease.leaseId()).setLeaseSecret(FakeHub.secretOf(lease.leaseId())).build());
            assertThat(withLease.getLeaseIdsList()).isEmpty();

            lease.complete(1);
            Heartbeat after = nextHeartbeat(sub, hb -> hb.getLeasesCount() == 0);
            assertThat(after.getAgentId()).isEqualTo("test-agent");
            assertThat(after.getLeaseIdsList()).isEmpty();
        }
    }

    @Test
    void heartbeats_ofAnAgentWithManyLeasesAreSplitSoEachStaysSmall() throws Exception {
        hub("main");
        int held = io.quotahub.agent.internal.DefaultQuotaClient.MAX_PROOFS_PER_HEARTBEAT + 44;
        try (Connection listener = Nats.connect(nats.url())) {
            Subscription sub = listener.subscribe(Subjects.HEARTBEAT);
            listener.flush(Duration.ofSeconds(2));
            QuotaClient client = closeLater(clientBuilder().heartbeatInterval(Duration.ofMillis(200)).build());
            java.util.List<Lease> leases = new java.util.ArrayList<>();
            for (int i = 0; i < held; i++) {
                leases.add(client.acquire("demo", 1, Duration.ofSeconds(5)));
            }

            java.util.Set<String> proven = new java.util.HashSet<>();
            org.awaitility.Awaitility.await("every lease proven").atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        var msg = sub.nextMessage(Duration.ofMillis(100));
                        if (msg != null) {
                            Heartbeat hb = Heartbeat.parseFrom(msg.getData());
                            assertThat(hb.getLeasesCount()).isLessThanOrEqualTo(io.quotahub.agent.internal.DefaultQuotaClient.MAX_PROOFS_PER_HEARTBEAT);
                            hb.getLeasesList().forEach(p -> proven.add(p.getLeaseId()));
                        }
                        return proven.size() >= held;
                    });
            assertThat(proven).containsExactlyInAnyOrderElementsOf(leases.stream().map(Lease::leaseId).toList());
            leases.forEach(l -> l.complete(1));
        }
    }

    private static Heartbeat nextHeartbeat(Subscription sub, java.util.function.Predicate<Heartbeat> wanted)
            throws Exception {
        java.util.concurrent.atomic.AtomicReference<Heartbeat> found = new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await("a matching heartbeat").atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1)).until(() -> {
                    var msg = sub.nextMessage(Duration.ofMillis(100));
                    if (msg != null) {
                        Heartbeat hb = Heartbeat.parseFrom(msg.getData());
                        if (wanted.test(hb)) {
                            found.set(hb);
                        }
                    }
                    return found.get() != null;
                });
        return found.get();
    }

    @Test
    void externalConnection_isNotClosedByTheClient() throws Exception {
        hub("main");
        try (Connection connection = Nats.connect(nats.url())) {
            try (QuotaClient client = QuotaClient.builder().connection(connection).agentId("embedded").build()) {
                client.acquire("demo", 1, Duration.ofSeconds(5)).close();
            }
            assertThat(connection.getStatus()).isEqualTo(Connection.Status.CONNECTED);
        }
    }
}
