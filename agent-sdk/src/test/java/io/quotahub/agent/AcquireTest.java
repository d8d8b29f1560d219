package io.quotahub.agent;

import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Subjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AcquireTest extends NatsTestBase {

    @Test
    void acquire_returnsTheGrantedLeaseWithItsKey() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5));

        assertThat(lease.hubId()).isEqualTo("main");
        assertThat(lease.leaseId()).isEqualTo("main-lease-1");
        assertThat(lease.pool()).isEqualTo("demo");
        assertThat(lease.keyId()).isEqualTo("key-1");
        assertThat(lease.apiKey()).isEqualTo(FakeHub.apiKeyOf("main"));
        assertThat(lease.tokens()).isEqualTo(1200);
        assertThat(lease.expiresAt()).isAfter(Instant.now());
        AcquireRequest sent = main.acquires.get(0).request();
        assertThat(main.acquires.get(0).subject()).isEqualTo(Subjects.ACQUIRE);
        assertThat(sent.getAgentId()).isEqualTo("test-agent");
        assertThat(sent.getPool()).isEqualTo("demo");
        assertThat(sent.getTokens()).isEqualTo(1200);
        assertThat(sent.getPriority()).isEqualTo(io.quotahub.proto.Priority.NORMAL);
        assertThat(sent.getRequestId()).isNotBlank();
        assertThat(sent.getDeadlineEpochMs()).isGreaterThan(System.currentTimeMillis() - 5_000);
        lease.close();
    }

    @Test
    void zeroOrNegativeTokens_areRefusedAtOnce_asTheHubsRefuseThem_andNothingIsSent() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        for (long tokens : new long[] {0, -1}) {
            assertThatThrownBy(() -> client.acquire("demo", tokens, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokens must be > 0");
            assertThatThrownBy(() -> client.tryAcquire("demo", tokens)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(main.acquires).isEmpty();
    }

    @Test
    void aPoolNameAboveTheHubsFieldBound_isRefusedAtOnce_andNothingIsSent() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();
        String fits = "é".repeat(io.quotahub.proto.WireBounds.MAX_FIELD_BYTES / 2);   // 2 bytes each
        String tooLong = fits + "x";

        assertThatThrownBy(() -> client.acquire(tooLong, 1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pool must be at most 128 bytes");
        assertThatThrownBy(() -> client.tryAcquire("  ", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(main.acquires).isEmpty();
        assertThat(client.tryAcquire(fits, 1)).as("a pool name at the bound goes out").isPresent();
        assertThat(main.acquires).hasSize(1);
    }

    @Test
    void leaseToString_neverShowsTheApiKey() throws Exception {
        hub("main");
        QuotaClient client = client();

        try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
            assertThat(lease.toString())
                    .doesNotContain(lease.apiKey())
                    .doesNotContain("secret")
                    .contains("…abcd")
                    .contains("key-1");
        }
    }

    @Test
    void acquire_sendsThePriorityAskedFor() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        client.acquire("demo", 1, Duration.ZERO, Priority.HIGH).close();

        assertThat(main.acquires.get(0).request().getPriority()).isEqualTo(io.quotahub.proto.Priority.HIGH);
    }

    @Test
    void acquire_waitsForRetryAfterAndRetriesWithANewRequestId() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        FakeHub main = hub("main");
        main.onAcquire(r -> calls.incrementAndGet() == 1 ? FakeHub.refuse(300) : main.grant(r));
        java.util.List<Long> waits = new java.util.concurrent.CopyOnWriteArrayList<>();
        QuotaClient client = closeLater(new io.quotahub.agent.internal.DefaultQuotaClient(
                new io.quotahub.agent.internal.ClientConfig(java.util.List.of(nats.url()), null, "w1",
                        Priority.NORMAL, Duration.ofMillis(750), Duration.ofSeconds(2), Duration.ofSeconds(5), "w1")
                        .withMetrics(new io.quotahub.agent.internal.ClientMetrics() {
                            @Override
                            public void retryScheduled(String pool, String cause, long waitNanos) {
                                waits.add(waitNanos);
                            }
                        })));

        try (Lease lease = client.acquire("demo", 100, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("main");
        }

        assertThat(waits).as("one wait of at least the retry-after").singleElement()
                .satisfies(w -> assertThat(w).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300)));
        assertThat(main.acquires).hasSize(2);
        assertThat(main.acquires.get(1).request().getRequestId())
                .isNotEqualTo(main.acquires.get(0).request().getRequestId());
    }

    @Test
    void acquire_throwsQuotaExhaustedWithTheRefusalWhenMaxWaitRunsOut() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.refuse(20_000));
        QuotaClient client = client();

        assertThatThrownBy(() -> client.acquire("demo", 100, Duration.ofMillis(400)))
                .isInstanceOfSatisfying(QuotaExhaustedException.class, e -> {
                    assertThat(e.code()).isEqualTo("QUOTA_EXHAUSTED");
                    assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(e.reason()).contains("requests 2/PT1M");
                    assertThat(e.pool()).isEqualTo("demo");
                    assertThat(e.keyId()).isEqualTo("key-1");
                    assertThat(e.limit()).isEqualTo("requests 2/PT1M");
                    assertThat(e.getMessage()).doesNotContain(FakeHub.apiKeyOf("main"));
                });
        // refused at once, then once more when maxWait ran out
        assertThat(main.acquires).hasSize(2);
    }

    @Test
    void acquireWithZeroWait_throwsAtTheFirstRefusal() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.refuse(1_000));
        QuotaClient client = client();

        assertThatThrownBy(() -> client.acquire("demo", 100, Duration.ZERO))
                .isInstanceOf(QuotaExhaustedException.class);
        assertThat(main.acquires).hasSize(1);
    }

    @Test
    void tryAcquire_returnsEmptyOnRefusalWithoutWaiting() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.refuse(10_000));
        QuotaClient client = client();

        Optional<Lease> lease = client.tryAcquire("demo", 100);

        assertThat(lease).isEmpty();
        assertThat(main.acquires).hasSize(1);
    }

    @Test
    void tryAcquire_returnsTheLeaseWhenGranted() throws Exception {
        hub("main");
        QuotaClient client = client();

        Optional<Lease> lease = client.tryAcquire("demo", 100, Priority.LOW);

        assertThat(lease).hasValueSatisfying(l -> assertThat(l.hubId()).isEqualTo("main"));
        lease.get().close();
    }

    @Test
    void acquireAsync_completesWithTheLease() throws Exception {
        hub("main");
        QuotaClient client = client();

        CompletableFuture<Lease> future = client.acquireAsync("demo", 50, Duration.ofSeconds(5));

        try (Lease lease = future.get(5, TimeUnit.SECONDS)) {
            assertThat(lease.tokens()).isEqualTo(50);
        }
    }

    @Test
    void acquireAsync_andCompleteAsync_completeOnTheCallbackPool_neverOnANatsThread() throws Exception {
        hub("main");
        QuotaClient client = client();
        List<String> threads = new CopyOnWriteArrayList<>();

        client.acquireAsync("demo", 50, Duration.ofSeconds(5))
                .thenCompose(lease -> {
                    threads.add(Thread.currentThread().getName());
                    return lease.completeAsync(10);
                })
                .thenRun(() -> threads.add(Thread.currentThread().getName()))
                .get(5, TimeUnit.SECONDS);

        assertThat(threads).hasSize(2).allMatch(name -> name.startsWith("qh-agent-callback-test-agent-"));
    }

    @Test
    void acquireAsync_completesOnTheCallersExecutor_whenOneIsGiven() throws Exception {
        hub("main");
        ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "callers-own"));
        try {
            QuotaClient client = closeLater(clientBuilder().callbackExecutor(mine).build());
            List<String> threads = new CopyOnWriteArrayList<>();

            client.acquireAsync("demo", 50, Duration.ofSeconds(5))
                    .thenCompose(lease -> {
                        threads.add(Thread.currentThread().getName());
                        return lease.completeAsync(10);
                    })
                    .thenRun(() -> threads.add(Thread.currentThread().getName()))
                    .get(5, TimeUnit.SECONDS);
            client.close();

            assertThat(threads).containsExactly("callers-own", "callers-own");
            assertThat(mine.isShutdown()).as("the client leaves the caller's executor running").isFalse();
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void acquireAsync_waitsOnRefusalWithoutBlockingTheCaller() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        FakeHub main = hub("main");
        main.onAcquire(r -> calls.incrementAndGet() <= 2 ? FakeHub.refuse(200) : main.grant(r));
        QuotaClient client = client();

        CompletableFuture<Lease> future = client.acquireAsync("demo", 50, Duration.ofSeconds(5));
        CompletableFuture<Lease> other = client.acquireAsync("demo", 60, Duration.ofSeconds(5));

        assertThat(future.get(5, TimeUnit.SECONDS).hubId()).isEqualTo("main");
        assertThat(other.get(5, TimeUnit.SECONDS).hubId()).isEqualTo("main");
        future.get().close();
        other.get().close();
    }

    @Test
    void acquire_throwsTheHubErrorWithoutRetryingForUnknownPool() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.error("UNKNOWN_POOL", "no pool named " + r.getPool()));
        QuotaClient client = client();

        assertThatThrownBy(() -> client.acquire("nope", 1, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(QuotaHubException.class, e -> {
                    assertThat(e).isNotInstanceOf(QuotaExhaustedException.class);
                    assertThat(e.code()).isEqualTo("UNKNOWN_POOL");
                    assertThat(e.getMessage()).contains("no pool named nope");
                });
        assertThat(main.acquires).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"UNAVAILABLE", "FENCED"}) // FENCED: a hub that woke up after its peer took over
    void acquire_retriesAHubThatCannotServeOnTheOtherHub(String code) throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.error(code, "this hub cannot serve"));
        FakeHub edge = directOnlyHub("edge");
        QuotaClient client = client();
        awaitKnownHubs(client, "main", "edge");

        try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("edge");
        }
        assertThat(edge.acquiresOn(Subjects.hubAcquire("edge"))).isEqualTo(1);
    }

    @Test
    void acquire_throwsHubUnavailableWhenTheOnlyHubStaysUnavailable() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.error("UNAVAILABLE", "not ready"));
        QuotaClient client = client();

        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ofMillis(500)))
                .isInstanceOf(HubUnavailableException.class)
                .hasMessageContaining("UNAVAILABLE");
        assertThat(main.acquires.size()).isBetween(2, 20);
        assertThat(main.acquires).extracting(r -> r.request().getRequestId()).doesNotHaveDuplicates();
    }

    @Test
    void badInput_throwsIllegalArgumentWithoutSendingAnything() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        assertThatThrownBy(() -> client.acquire(null, 1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.acquire(" ", 1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.acquire("demo", -1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokens");
        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait");
        assertThatThrownBy(() -> client.acquire("demo", 1, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ZERO, (Priority) null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ZERO, (AcquireOptions) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("options");
        assertThatThrownBy(() -> client.tryAcquire("", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.acquireAsync("demo", -5, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);

        client.acquire("demo", 1, Duration.ZERO).close(); // a valid request after them reaches the hub...
        assertThat(main.acquires).hasSize(1);              // ...and is the only one it ever saw
    }

    @Test
    void builder_rejectsBadSettings() {
        assertThatThrownBy(() -> QuotaClient.builder().servers()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuotaClient.builder().agentId(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuotaClient.builder().requestTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requestTimeout");
        assertThatThrownBy(() -> QuotaClient.builder().heartbeatInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heartbeatInterval");
    }

    @Test
    void builder_refusesAnAgentIdLongerThan128Utf8Bytes() {
        String euros = "€".repeat(43); // 43 characters, 129 bytes: hubs count bytes

        assertThatThrownBy(() -> QuotaClient.builder().agentId(euros))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("agentId").hasMessageContaining("128").hasMessageContaining("129");
        assertThatThrownBy(() -> QuotaClient.builder().agentId("a".repeat(129)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("128");
    }

    @Test
    void anAgentIdOf128Utf8Bytes_reachesTheHubIntact() throws Exception {
        FakeHub main = hub("main");
        String longest = "€".repeat(42) + "ab"; // 126 + 2 bytes
        QuotaClient client = closeLater(clientBuilder().agentId(longest).build());

        client.acquire("demo", 1, Duration.ZERO).close();

        assertThat(main.acquires.get(0).request().getAgentId()).isEqualTo(longest);
        assertThat(main.settles.get(0).request().getAgentId()).isEqualTo(longest);
    }

    @Test
    void aHubsNotice_isLoggedOncePerPoolAndNotice() throws Exception {
        String notice = "priority HIGH is reserved for the pool's high-priority-agents: treated as NORMAL";
        FakeHub main = hub("main");
        main.onAcquire(r -> main.grant(r).setNotice(notice));
        QuotaClient client = client();
        List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        Logger jul = Logger.getLogger("io.quotahub.agent"); // System.Logger's default backend
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(recorder);
        try {
            for (int i = 0; i < 3; i++) {
                client.acquire("demo", 1, Duration.ZERO, Priority.HIGH).close();
                client.acquire("other", 1, Duration.ZERO, Priority.HIGH).close();
            }
        } finally {
            jul.removeHandler(recorder);
        }

        List<LogRecord> notices = records.stream().filter(r -> r.getMessage() != null && r.getMessage().contains(notice)).toList();
        assertThat(notices).hasSize(2).allSatisfy(r -> assertThat(r.getLevel()).isEqualTo(Level.WARNING));
        assertThat(notices).extracting(LogRecord::getMessage)
                .anySatisfy(m -> assertThat(m).contains("pool 'demo'").contains("hub main"))
                .anySatisfy(m -> assertThat(m).contains("pool 'other'"));
    }

    @Test
    void waitersRefusedAtTheSameInstant_retrySpreadAboveTheRetryAfter() throws Exception {
        int waiters = 20;
        long retryAfterMs = 300;
        FakeHub main = hub("main");
        AtomicInteger calls = new AtomicInteger();
        main.onAcquire(r -> calls.incrementAndGet() <= waiters ? FakeHub.refuse(retryAfterMs) : main.grant(r));
        List<Long> waits = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.quotahub.agent.internal.ClientMetrics recorder = new io.quotahub.agent.internal.ClientMetrics() {
            @Override
            public void retryScheduled(String pool, String cause, long waitNanos) {
                waits.add(waitNanos);
            }
        };
        AtomicInteger draws = new AtomicInteger();
        // a known "random" sequence: 0, 1/20, 2/20, ... 19/20
        io.quotahub.agent.internal.Jitter jitter = new io.quotahub.agent.internal.Jitter(
                () -> (double) (draws.getAndIncrement() % waiters) / waiters);
        QuotaClient client = closeLater(new io.quotahub.agent.internal.DefaultQuotaClient(
                new io.quotahub.agent.internal.ClientConfig(List.of(nats.url()), null, "jittery", Priority.NORMAL,
                        Duration.ofMillis(750), Duration.ofSeconds(2), Duration.ofSeconds(5), "jittery")
                        .withMetrics(recorder).withJitter(jitter)));

        List<CompletableFuture<Lease>> acquires = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            acquires.add(client.acquireAsync("demo", 1, Duration.ofSeconds(10)));
        }
        for (CompletableFuture<Lease> f : acquires) {
            f.get(10, TimeUnit.SECONDS).close();
        }

        long retryAfter = TimeUnit.MILLISECONDS.toNanos(retryAfterMs);
        List<Long> expected = new ArrayList<>();
        for (int k = 0; k < waiters; k++) { // retry-after + k/20 of half of it: spread over 300..450 ms
            expected.add(retryAfter + (long) ((double) k / waiters * (retryAfter / 2.0)));
        }
        assertThat(waits).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(waits).allSatisfy(w -> assertThat(w).isGreaterThanOrEqualTo(retryAfter)); // never early
        assertThat(main.acquires).hasSize(2 * waiters);
    }

    @Test
    void acquireAfterClose_throwsIllegalState() {
        QuotaClient client = clientBuilder().build();
        client.close();

        assertThatThrownBy(() -> client.acquire("demo", 1, Duration.ZERO)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void cancelledAcquireAsync_releasesALeaseGrantedAfterwards() throws Exception {
        FakeHub main = hub("main");
        java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        main.onAcquire(r -> {
            awaitLatch(cancelled); // a slow hub: the grant comes after the caller gave up
            return main.grant(r);
        });
        QuotaClient client = client();

        CompletableFuture<Lease> future = client.acquireAsync("demo", 500, Duration.ofSeconds(5));
        await("the hub to get the request", () -> main.acquires.size() == 1);
        assertThat(future.cancel(false)).isTrue();
        cancelled.countDown();

        await("the late lease to be released", () -> main.settles.size() == 1);
        assertThat(main.settles.get(0).request().getLeaseId()).isEqualTo("main-lease-1");
        assertThat(main.settles.get(0).request().getTokensUsed()).isZero();
        assertThat(main.settles.get(0).request().getOutcome()).isEqualTo(io.quotahub.proto.Outcome.OK);
    }

    @Test
    void metricsHook_seesGrantsRefusalsAndRouteFailures() throws Exception {
        FakeHub main = hub("main");
        AtomicInteger calls = new AtomicInteger();
        main.onAcquire(r -> switch (calls.incrementAndGet()) {
            case 1 -> null;                  // times out on the queue route
            case 2 -> FakeHub.refuse(50);    // the retry on main's direct subject: refused
            default -> main.grant(r);
        });
        java.util.List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.quotahub.agent.internal.ClientMetrics recorder = new io.quotahub.agent.internal.ClientMetrics() {
            @Override
            public void granted(String pool, String hubId, long latencyNanos, int sends) {
                events.add("granted " + pool + " " + hubId + " " + sends);
            }

            @Override
            public void refused(String pool, String code) {
                events.add("refused " + pool + " " + code);
            }

            @Override
            public void routeFailed(String subject, RouteFailure failure) {
                events.add("failed " + subject + " " + failure);
            }
        };
        QuotaClient client = closeLater(new io.quotahub.agent.internal.DefaultQuotaClient(
                new io.quotahub.agent.internal.ClientConfig(java.util.List.of(nats.url()), null, "m1",
                        Priority.NORMAL, Duration.ofMillis(750), Duration.ofSeconds(2), Duration.ofSeconds(5), "m1")
                        .withMetrics(recorder)));
        awaitKnownHubs(client, "main");

        client.acquire("demo", 1, Duration.ofSeconds(5)).close();

        assertThat(events).containsExactly(
                "failed " + Subjects.ACQUIRE + " TIMEOUT",
                "refused demo QUOTA_EXHAUSTED",
                "granted demo main 3");
    }

    private static void awaitLatch(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static AcquireReply.Builder overloaded() {
        return AcquireReply.newBuilder().setRefused(io.quotahub.proto.Refused.newBuilder()
                .setRefusalCode(io.quotahub.proto.Refused.Code.OVERLOADED).setReason("hub main is overloaded").setRetryAfterMs(50).setPool("demo"));
    }

    @Test
    void acquire_retriesAfterAnOverloadRefusalAndGetsTheLease() throws Exception {
        FakeHub main = hub("main");
        AtomicInteger calls = new AtomicInteger();
        main.onAcquire(r -> calls.incrementAndGet() <= 2 ? overloaded() : main.grant(r));
        QuotaClient client = client();

        Lease lease = client.acquire("demo", 100, Duration.ofSeconds(5));

        assertThat(lease.leaseId()).isNotBlank();
        assertThat(main.acquires).hasSize(3);
    }

    @Test
    void aBurstAgainstAnOverloadedHub_endsEveryAcquireWithAnOverloadRefusalWithinItsWait() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> overloaded());
        QuotaClient client = client();
        List<CompletableFuture<Lease>> burst = new ArrayList<>();

        for (int i = 0; i < 1_000; i++) {
            burst.add(client.acquireAsync("demo", 1, Duration.ofMillis(500)));
        }

        for (CompletableFuture<Lease> f : burst) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOfSatisfying(QuotaExhaustedException.class,
                            e -> assertThat(e.code()).isEqualTo("OVERLOADED"));
        }
    }
}
