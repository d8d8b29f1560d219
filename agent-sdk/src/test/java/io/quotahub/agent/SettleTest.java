package io.quotahub.agent;

import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettleTest extends NatsTestBase {

    private static SettleRequest only(FakeHub hub) {
        assertThat(hub.settles).hasSize(1);
        return hub.settles.get(0).request();
    }

    @Test
    void closeWithoutOutcome_settlesUnknownWithTheEstimate() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5));
        lease.close();

        SettleRequest settle = only(main);
        assertThat(main.settles.get(0).subject()).isEqualTo(Subjects.hubSettle("main"));
        assertThat(settle.getLeaseId()).isEqualTo(lease.leaseId());
        assertThat(settle.getLeaseSecret()).isEqualTo(FakeHub.secretOf(lease.leaseId()));
        assertThat(settle.getAgentId()).isEqualTo("test-agent");
        assertThat(settle.getOutcome()).as("nobody said how the call went").isEqualTo(Outcome.UNKNOWN);
        assertThat(settle.getTokensUsed()).isEqualTo(1200);
        assertThat(settle.hasProvider()).isFalse();
        assertThat(settle.getCallDurationMs()).as("not measured").isZero();
        assertThat(settle.getRequestId()).isNotBlank();
        assertThat(settle.getDeadlineEpochMs()).isPositive();
        assertThat(lease.isSettled()).isTrue();
    }

    @Test
    void complete_sendsTheTokensUsedOnce() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5))) {
            lease.complete(1432);
            assertThatThrownBy(() -> lease.complete(1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(lease::authFailed).isInstanceOf(IllegalStateException.class);
        } // close after an outcome sends nothing

        SettleRequest settle = only(main);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(settle.getTokensUsed()).isEqualTo(1432);
    }

    @Test
    void rateLimited_sendsTheProvidersRetryAfter() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5))) {
            lease.rateLimited(Duration.ofSeconds(20));
            assertThatThrownBy(() -> lease.rateLimited(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
        }

        SettleRequest settle = only(main);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.RATE_LIMITED);
        assertThat(settle.getRetryAfterMs()).isEqualTo(20_000);
        assertThat(settle.getTokensUsed()).isZero();
    }

    @Test
    void failed_sendsTheReasonWithoutTheSecret() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 700, Duration.ofSeconds(5))) {
            lease.failed("timeout calling with key " + lease.apiKey());
            assertThatThrownBy(() -> lease.failed("again")).isInstanceOf(IllegalStateException.class);
        }

        SettleRequest settle = only(main);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.ERROR);
        assertThat(settle.getDetail()).startsWith("timeout calling with key ").endsWith("…abcd")
                .doesNotContain(FakeHub.apiKeyOf("main"));
        assertThat(settle.getTokensUsed()).isEqualTo(700);
    }

    @Test
    void failed_sendsAtMost128Utf8BytesCutOnACharacterBoundary() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        try (Lease twoByteChars = client.acquire("demo", 1, Duration.ofSeconds(5));
                Lease fourByteChars = client.acquire("demo", 1, Duration.ofSeconds(5))) {
            twoByteChars.failed("é".repeat(70));                 // 140 bytes
            fourByteChars.failed("a" + "\uD83D\uDE00".repeat(40)); // 1 + 160 bytes: surrogate pairs
        }

        String cutAtTwo = main.settles.get(0).request().getDetail();
        String cutAtFour = main.settles.get(1).request().getDetail();
        assertThat(cutAtTwo).isEqualTo("é".repeat(64));
        assertThat(cutAtTwo.getBytes(StandardCharsets.UTF_8)).hasSize(128);
        assertThat(cutAtFour).isEqualTo("a" + "\uD83D\uDE00".repeat(31)); // a 32nd would make 129 bytes
        assertThat(cutAtFour.getBytes(StandardCharsets.UTF_8)).hasSize(125);
    }

    @Test
    void failed_masksTheKeyBeforeCuttingSoThatNoPartOfItIsSent() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
            // cut first, the first 8 bytes of the key would be the text's last 8 of 128 bytes
            lease.failed("x".repeat(120) + lease.apiKey());
        }

        String detail = only(main).getDetail();
        assertThat(detail).isEqualTo("x".repeat(120) + "…abcd");
        assertThat(detail).doesNotContain("sk-test");
    }

    @Test
    void forbiddenSettle_isNotRetriedAndThrowsForbiddenWithoutTheSecret() throws Exception {
        FakeHub main = hub("main");
        FakeHub edge = directOnlyHub("edge");
        // a hub that does not accept the secret, echoing it carelessly in its message
        main.onSettle(r -> FakeHub.settleError("FORBIDDEN", "secret " + r.getLeaseSecret() + " does not prove the lease"));
        QuotaClient client = client();
        awaitKnownHubs(client, "main", "edge");
        Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));
        String secret = FakeHub.secretOf(lease.leaseId());

        assertThatThrownBy(() -> lease.complete(4))
                .isInstanceOfSatisfying(QuotaHubException.class, e -> {
                    assertThat(e).isNotInstanceOf(HubUnavailableException.class);
                    assertThat(e.code()).isEqualTo("FORBIDDEN");
                })
                .hasMessageContaining(lease.leaseId())
                .hasMessageNotContaining(secret);

        assertThat(main.settles).hasSize(1);   // not retried on the same hub...
        assertThat(edge.settles).isEmpty();    // ...nor on another
        assertThat(main.settles.get(0).request().getLeaseSecret()).isEqualTo(secret);
        assertThat(lease.isSettled()).isTrue(); // the hub expires it
    }

    @Test
    void leaseToString_neverShowsTheLeaseSecret() throws Exception {
        hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
            assertThat(lease.toString()).contains(lease.leaseId()).doesNotContain(FakeHub.secretOf(lease.leaseId()));
        }
    }

    @Test
    void authFailed_sendsAuthFailed() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 5, Duration.ofSeconds(5))) {
            lease.authFailed();
        }

        assertThat(only(main).getOutcome()).isEqualTo(Outcome.AUTH_FAILED);
    }

    @Test
    void badOutcomeArguments_throwIllegalArgumentAndLeaveTheLeaseOpen() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 5, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> lease.complete(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> lease.rateLimited(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> lease.failed(null)).isInstanceOf(IllegalArgumentException.class);
            assertThat(lease.isSettled()).isFalse();
            lease.complete(3);
        }
        assertThat(only(main).getTokensUsed()).isEqualTo(3);
    }

    @Test
    void settle_fallsBackToTheQueueWhenTheGrantingHubIsGone() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();
        Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));
        main.close(); // the granting hub is gone: its direct subject has no responders
        FakeHub edge = hub("edge");

        lease.complete(9);

        SettleRequest settle = only(edge);
        assertThat(edge.settles.get(0).subject()).isEqualTo(Subjects.SETTLE);
        assertThat(settle.getLeaseId()).isEqualTo(lease.leaseId());
        assertThat(settle.getLeaseSecret()).isEqualTo(FakeHub.secretOf(lease.leaseId()));
        assertThat(settle.getTokensUsed()).isEqualTo(9);
    }

    @Test
    void settle_retriesWithTheSameRequestIdAfterATimeout() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();
        Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));
        main.hang();
        FakeHub edge = directOnlyHub("edge");
        awaitKnownHubs(client, "edge");

        lease.complete(8); // main's direct subject times out; the queue would reach main too: edge answers

        assertThat(main.settles).hasSize(1);
        assertThat(main.settles.get(0).subject()).isEqualTo(Subjects.hubSettle("main"));
        assertThat(edge.settles).hasSize(1);
        assertThat(edge.settles.get(0).request().getRequestId())
                .isEqualTo(main.settles.get(0).request().getRequestId());
    }

    @Test
    void complete_throwsHubUnavailableWhenNoHubConfirms() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = closeLater(clientBuilder().settleTimeout(Duration.ofMillis(600)).build());
        Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));
        main.close();

        assertThatThrownBy(() -> lease.complete(1)).isInstanceOf(HubUnavailableException.class)
                .hasMessageContaining(lease.leaseId())
                .hasMessageNotContaining(lease.apiKey())
                .hasMessageNotContaining(FakeHub.secretOf(lease.leaseId()));
        lease.close(); // never throws
    }

    @Test
    void clientClose_settlesOpenLeasesWithTheirEstimate() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = clientBuilder().build();
        Lease open = client.acquire("demo", 300, Duration.ofSeconds(5));
        Lease done = client.acquire("demo", 200, Duration.ofSeconds(5));
        done.complete(150);

        client.close();

        assertThat(open.isSettled()).isTrue();
        assertThat(main.settles).hasSize(2);
        SettleRequest onClose = main.settles.get(1).request();
        assertThat(onClose.getLeaseId()).isEqualTo(open.leaseId());
        assertThat(onClose.getTokensUsed()).isEqualTo(300);
        assertThatThrownBy(() -> open.complete(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void completeAsync_returnsAtOnceAndItsFutureCompletesWhenTheHubConfirmed() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();
        Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5));

        CompletableFuture<Void> settled = lease.completeAsync(1100);

        assertThat(lease.isSettled()).isTrue();
        assertThatThrownBy(() -> lease.complete(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> lease.completeAsync(1)).isInstanceOf(IllegalStateException.class);
        settled.get(5, TimeUnit.SECONDS);
        SettleRequest settle = only(main);
        assertThat(settle.getLeaseId()).isEqualTo(lease.leaseId());
        assertThat(settle.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(settle.getTokensUsed()).isEqualTo(1100);
        lease.close(); // sends nothing more
        assertThat(main.settles).hasSize(1);
    }

    @Test
    void completeAsync_failsItsFutureWithHubUnavailableWhenNoHubConfirms() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = closeLater(clientBuilder().settleTimeout(Duration.ofMillis(600)).build());
        Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));
        main.close();

        CompletableFuture<Void> settled = lease.completeAsync(1);

        assertThatThrownBy(() -> settled.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(HubUnavailableException.class).hasMessageContaining(lease.leaseId());
    }

    @Test
    void completeAsync_rejectsNegativeTokensAndLeavesTheLeaseOpen() throws Exception {
        hub("main");
        QuotaClient client = client();
        Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5));

        assertThatThrownBy(() -> lease.completeAsync(-1)).isInstanceOf(IllegalArgumentException.class);

        assertThat(lease.isSettled()).isFalse();
        lease.close();
    }
}
