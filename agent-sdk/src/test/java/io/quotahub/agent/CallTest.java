package io.quotahub.agent;

import io.quotahub.agent.internal.CallConfig;
import io.quotahub.agent.internal.ClientConfig;
import io.quotahub.agent.internal.DefaultQuotaClient;
import io.quotahub.agent.internal.Jitter;
import io.quotahub.agent.internal.Ticker;
import io.quotahub.agent.provider.LimitKind;
import io.quotahub.agent.provider.ProviderLimit;
import io.quotahub.agent.provider.ProviderReading;
import io.quotahub.agent.provider.ProviderReport;
import io.quotahub.agent.provider.Providers;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleRequest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link QuotaClient#call} against a fake hub on a real nats-server, on fake time: the provider's
 * "duration" and the waits between retries pass on a ticker the test drives (no sleeps).
 */
class CallTest extends NatsTestBase {

    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final String OPENAI_OK_BODY = "{\"id\":\"chatcmpl-1\",\"usage\":{\"prompt_tokens\":19,"
            + "\"completion_tokens\":10,\"total_tokens\":29}}";

    /** The client's monotonic time, and the retry waits that advance it. */
    static final class FakeTime implements Ticker, CallConfig.Pause {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);
        final List<Duration> pauses = new CopyOnWriteArrayList<>();

        @Override
        public long nanos() {
            return nanos.get();
        }

        @Override
        public java.util.concurrent.CompletableFuture<Void> after(long n) {
            pauses.add(Duration.ofNanos(n));
            nanos.addAndGet(n);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    private final FakeTime time = new FakeTime();

    /** A client on fake time and a fixed clock, jitter at its lowest draw: waits are exact. */
    private QuotaClient client(Map<String, io.quotahub.agent.provider.ProviderAdapter> adapters) {
        ClientConfig config = new ClientConfig(List.of(nats.url()), null, "caller", Priority.NORMAL,
                Duration.ofMillis(750), Duration.ofSeconds(2), Duration.ofSeconds(5), "caller")
                .withTicker(time).withJitter(new Jitter(() -> 0)).withClock(Clock.fixed(NOW, ZoneOffset.UTC))
                .withCalls(new CallConfig(adapters, Providers.generic(), time));
        return closeLater(new DefaultQuotaClient(config));
    }

    private static List<SettleRequest> settles(FakeHub hub) {
        return hub.settles.stream().map(FakeHub.Received::request).toList();
    }

    @Test
    void call_settlesOkWithTheProvidersTokensItsLimitsAndTheCallsDuration() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of("gpt", Providers.openai()));
        List<String> keys = new CopyOnWriteArrayList<>();

        HttpResponse<String> response = client.call("gpt", 1200, Duration.ofSeconds(5), lease -> {
            keys.add(lease.apiKey());
            time.advance(Duration.ofMillis(412)); // the provider takes its time
            return StubResponse.of(200, OPENAI_OK_BODY, "X-RateLimit-Limit-Requests", "10000",
                    "x-ratelimit-remaining-requests", "9999", "x-ratelimit-reset-requests", "6ms");
        });

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(keys).containsExactly(FakeHub.apiKeyOf("main"));
        SettleRequest settle = settles(main).get(0);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(settle.getTokensUsed()).as("the provider's count, not the estimate").isEqualTo(29);
        assertThat(settle.getCallDurationMs()).isEqualTo(412);
        assertThat(settle.getProvider().getLimitsList()).containsExactly(io.quotahub.proto.ProviderLimit.newBuilder()
                .setKind(io.quotahub.proto.LimitKind.REQUESTS).setLimit(10000).setRemaining(9999).setResetAfterMs(6).build());
        assertThat(main.settles).hasSize(1);
    }

    @Test
    void call_withoutTheProvidersCount_completesWithTheEstimate() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());

        client.call("demo", 700, Duration.ofSeconds(5), lease -> StubResponse.of(204, ""));

        SettleRequest settle = settles(main).get(0);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(settle.getTokensUsed()).isEqualTo(700);
        assertThat(settle.hasProvider()).isFalse();
    }

    @Test
    void call_whoseBodyThrows_settlesErrorWithTheClassNameOnlyAndRethrows() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());

        assertThatThrownBy(() -> client.call("demo", 300, Duration.ofSeconds(5), lease -> {
            time.advance(Duration.ofMillis(30));
            throw new IOException("connection reset calling with " + lease.apiKey());
        })).isInstanceOf(IOException.class).hasMessageStartingWith("connection reset");

        SettleRequest settle = settles(main).get(0);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.ERROR);
        assertThat(settle.getDetail()).isEqualTo("java.io.IOException");
        assertThat(settle.getTokensUsed()).as("the provider may have counted the call").isEqualTo(300);
        assertThat(settle.getCallDurationMs()).isEqualTo(30);
        assertThat(settle.toString()).doesNotContain(FakeHub.apiKeyOf("main")).doesNotContain("connection reset");
    }

    @Test
    void call_interrupted_settlesUnknown() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());

        assertThatThrownBy(() -> client.call("demo", 300, Duration.ofSeconds(5), lease -> {
            throw new InterruptedException();
        })).isInstanceOf(InterruptedException.class);

        assertThat(settles(main).get(0).getOutcome()).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void call_whoseResultNoAdapterReads_settlesUnknown() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());

        String answer = client.call("demo", 50, Duration.ofSeconds(5), lease -> "a provider SDK's object");

        assertThat(answer).isEqualTo("a provider SDK's object");
        assertThat(settles(main).get(0).getOutcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(settles(main).get(0).getTokensUsed()).isEqualTo(50);
    }

    @Test
    void call_withAReader_readsAnyResult() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());
        record Completion(long totalTokens) {
        }

        Completion c = client.call("demo", 50, Duration.ofSeconds(5),
                (Completion r, Instant at) -> ProviderReading.ok(r.totalTokens(), ProviderReport.EMPTY),
                RetryOptions.none(), lease -> new Completion(42));

        assertThat(c.totalTokens()).isEqualTo(42);
        assertThat(settles(main).get(0).getTokensUsed()).isEqualTo(42);
    }

    @Test
    void call_geminiRateLimited_settlesRateLimitedWithTheQuotaAndIsNotRetriedByDefault() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of("gemini-pro", Providers.gemini()));
        String body = "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota\",\"status\":\"RESOURCE_EXHAUSTED\","
                + "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{\"quotaMetric\":"
                + "\"generativelanguage.googleapis.com/generate_content_free_tier_requests\",\"quotaId\":"
                + "\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\",\"quotaValue\":\"15\"}]},"
                + "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"13s\"}]}}";

        HttpResponse<String> r = client.call("gemini-pro", 1200, Duration.ofSeconds(5), lease -> StubResponse.of(429, body));

        assertThat(r.statusCode()).isEqualTo(429);
        SettleRequest settle = settles(main).get(0);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.RATE_LIMITED);
        assertThat(settle.getRetryAfterMs()).isEqualTo(13_000);
        assertThat(settle.getTokensUsed()).isZero();
        assertThat(settle.getProvider().getQuotaId()).isEqualTo("GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
        assertThat(settle.getProvider().getLimits(0).getRemaining()).isZero();
        assertThat(settle.getDetail()).isEmpty();
        assertThat(main.settles).hasSize(1);
        assertThat(time.pauses).isEmpty();
    }

    @Test
    void call_retriesA429OnAFreshLeaseAfter1sThen2s() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of("gpt", Providers.openai()));
        Deque<Integer> statuses = new ArrayDeque<>(List.of(429, 429, 200));
        List<String> leases = new CopyOnWriteArrayList<>();

        HttpResponse<String> r = client.call("gpt", 100, Duration.ofSeconds(5), RetryOptions.upTo(3, Duration.ofSeconds(60)),
                lease -> {
                    leases.add(lease.leaseId());
                    int status = statuses.pop();
                    return status == 200 ? StubResponse.of(200, OPENAI_OK_BODY)
                            : StubResponse.of(429, "{}", "retry-after-ms", "1500");
                });

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(leases).as("each attempt on a fresh lease").doesNotHaveDuplicates().hasSize(3);
        assertThat(settles(main)).extracting(SettleRequest::getOutcome)
                .containsExactly(Outcome.RATE_LIMITED, Outcome.RATE_LIMITED, Outcome.OK);
        assertThat(settles(main).get(0).getRetryAfterMs()).isEqualTo(1500);
        assertThat(time.pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    @Test
    void call_retriesIOExceptionsAndRethrowsTheLast() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> client.call("demo", 10, Duration.ofSeconds(5), RetryOptions.upTo(4, Duration.ofMinutes(1)),
                lease -> {
                    throw new java.net.http.HttpTimeoutException("attempt " + calls.incrementAndGet());
                })).isInstanceOf(java.net.http.HttpTimeoutException.class).hasMessage("attempt 5");

        assertThat(settles(main)).hasSize(5).allSatisfy(s -> {
            assertThat(s.getOutcome()).isEqualTo(Outcome.ERROR);
            assertThat(s.getDetail()).isEqualTo("java.net.http.HttpTimeoutException");
        });
        assertThat(time.pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
                Duration.ofSeconds(8));
    }

    @Test
    void call_stopsRetryingWhenTheNextWaitWouldPassTheDeadline() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());

        HttpResponse<String> r = client.call("demo", 10, Duration.ofSeconds(5), RetryOptions.upTo(10, Duration.ofSeconds(5)),
                lease -> StubResponse.of(503, "overloaded"));

        assertThat(r.statusCode()).isEqualTo(503);
        // waits 1 s and 2 s fit in 5 s; a third of 4 s would end at 7 s
        assertThat(time.pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(settles(main)).hasSize(3).allSatisfy(s -> {
            assertThat(s.getOutcome()).isEqualTo(Outcome.ERROR);
            assertThat(s.getDetail()).isEqualTo("provider error, transient");
        });
    }

    @Test
    void call_doesNotRetryWhatARetryWouldNotMend() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of("gpt", Providers.openai()));
        RetryOptions retries = RetryOptions.upTo(3, Duration.ofMinutes(1));

        client.call("gpt", 10, Duration.ofSeconds(5), retries, lease -> StubResponse.of(400, "{}"));
        client.call("gpt", 10, Duration.ofSeconds(5), retries, lease -> StubResponse.of(401, "{}"));
        client.call("gpt", 10, Duration.ofSeconds(5), retries, lease -> StubResponse.of(429,
                "{\"error\":{\"code\":\"insufficient_quota\"}}"));
        client.call("gpt", 10, Duration.ofSeconds(5), retries, lease -> StubResponse.of(429, "{}", "Retry-After", "60"));
        assertThatThrownBy(() -> client.call("gpt", 10, Duration.ofSeconds(5), retries, lease -> {
            throw new IllegalStateException("a bug");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(settles(main)).extracting(SettleRequest::getOutcome).containsExactly(Outcome.ERROR,
                Outcome.AUTH_FAILED, Outcome.AUTH_FAILED, Outcome.RATE_LIMITED, Outcome.ERROR);
        assertThat(settles(main).get(0).getDetail()).isEqualTo("provider error");
        assertThat(settles(main).get(3).getRetryAfterMs()).isEqualTo(60_000);
        assertThat(time.pauses).as("nothing retried").isEmpty();
    }

    @Test
    void leaseReport_goesWithTheOutcomeAndSettleReadsAnAdaptersReading() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());

        try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
            lease.report(ProviderReport.of(ProviderLimit.of(LimitKind.TOKENS, 30_000L, 0L, Duration.ofMillis(1500))))
                    .rateLimited(Duration.ofMillis(1500));
            assertThatThrownBy(() -> lease.report(ProviderReport.EMPTY)).isInstanceOf(IllegalStateException.class);
        }
        try (Lease lease = client.acquire("demo", 10, Duration.ofSeconds(5))) {
            lease.settle(Providers.anthropic().read(200, Map.of("anthropic-ratelimit-requests-remaining", List.of("49")),
                    "{\"usage\":{\"input_tokens\":12,\"output_tokens\":6}}", NOW));
        }

        SettleRequest first = settles(main).get(0);
        assertThat(first.getProvider().getLimitsList()).extracting(io.quotahub.proto.ProviderLimit::getKind,
                io.quotahub.proto.ProviderLimit::getLimit, io.quotahub.proto.ProviderLimit::getRemaining,
                io.quotahub.proto.ProviderLimit::getResetAfterMs)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(io.quotahub.proto.LimitKind.TOKENS, 30_000L, 0L, 1500L));
        SettleRequest second = settles(main).get(1);
        assertThat(second.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(second.getTokensUsed()).isEqualTo(18);
        io.quotahub.proto.ProviderLimit requests = second.getProvider().getLimits(0);
        assertThat(requests.getRemaining()).isEqualTo(49);
        assertThat(requests.hasLimit()).as("not sent, so absent").isFalse();
        assertThat(main.settles).hasSize(2);
    }

    @Test
    void call_onAClosedClient_throwsAndCallsNothing() {
        QuotaClient client = client(Map.of());
        client.close();
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> client.call("demo", 10, Duration.ofSeconds(1), lease -> calls.incrementAndGet()))
                .isInstanceOf(IllegalStateException.class);
        assertThat(calls).hasValue(0);
    }


    @Test
    void callAsync_retriesA503AndCompletesWithTheAnswerOnceSettled() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of("gpt", Providers.openai()));
        Deque<Integer> statuses = new ArrayDeque<>(List.of(503, 200));

        HttpResponse<String> r = client.callAsync("gpt", 100, Duration.ofSeconds(5), null,
                RetryOptions.upTo(2, Duration.ofSeconds(30)), lease -> {
                    time.advance(Duration.ofMillis(250));
                    int status = statuses.pop();
                    return java.util.concurrent.CompletableFuture.<HttpResponse<String>>completedFuture(
                            StubResponse.of(status, status == 200 ? OPENAI_OK_BODY : "{}"));
                }).get(10, java.util.concurrent.TimeUnit.SECONDS);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(settles(main)).extracting(SettleRequest::getOutcome).containsExactly(Outcome.ERROR, Outcome.OK);
        assertThat(settles(main)).extracting(SettleRequest::getCallDurationMs).containsExactly(250L, 250L);
        assertThat(settles(main).get(1).getTokensUsed()).isEqualTo(29);
        assertThat(time.pauses).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void callAsync_whoseFutureFails_settlesErrorAndFailsWithTheSameException() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());

        java.util.concurrent.CompletableFuture<String> f = client.callAsync("demo", 100, Duration.ofSeconds(5),
                lease -> java.util.concurrent.CompletableFuture.failedFuture(new IOException("reset by " + lease.apiKey())));

        assertThatThrownBy(() -> f.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(IOException.class);
        assertThat(settles(main)).hasSize(1);
        assertThat(settles(main).get(0).getOutcome()).isEqualTo(Outcome.ERROR);
        assertThat(settles(main).get(0).getDetail()).isEqualTo("java.io.IOException");
    }

    @Test
    void callAsync_withoutALease_failsWithTheAcquiresException() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.refuse(60_000));
        QuotaClient client = client(Map.of());
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> client.callAsync("demo", 100, Duration.ZERO,
                lease -> java.util.concurrent.CompletableFuture.completedFuture(calls.incrementAndGet()))
                .get(10, java.util.concurrent.TimeUnit.SECONDS)).hasCauseInstanceOf(QuotaExhaustedException.class);
        assertThat(calls).hasValue(0);
        assertThat(main.settles).isEmpty();
    }

    /** How a provider SDK reports a 429: an exception carrying the status and headers. */
    static final class SdkRateLimitException extends RuntimeException {
        final Map<String, List<String>> headers;

        SdkRateLimitException(Map<String, List<String>> headers) {
            super("429: Rate limit reached for org-abc123");
            this.headers = headers;
        }
    }

    @Test
    void call_withAReaderOfAProviderSdksExceptions_settlesAndRetriesAsTheProviderSaid() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client(Map.of());
        io.quotahub.agent.provider.ResultReader<String> sdkReader = new io.quotahub.agent.provider.ResultReader<>() {
            @Override
            public ProviderReading read(String completion, Instant at) {
                return ProviderReading.ok(7L, ProviderReport.EMPTY);
            }

            @Override
            public java.util.Optional<ProviderReading> readFailure(Throwable thrown, Instant at) {
                return thrown instanceof SdkRateLimitException e
                        ? java.util.Optional.of(Providers.openai().read(429, e.headers, "", at)) : java.util.Optional.empty();
            }
        };
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> client.call("demo", 10, Duration.ofSeconds(5), sdkReader,
                RetryOptions.upTo(1, Duration.ofMinutes(1)), lease -> {
                    calls.incrementAndGet();
                    throw new SdkRateLimitException(Map.of("x-ratelimit-remaining-requests", List.of("0"),
                            "x-ratelimit-reset-requests", List.of("2s")));
                })).isInstanceOf(SdkRateLimitException.class);

        assertThat(calls).hasValue(2);
        assertThat(settles(main)).hasSize(2).allSatisfy(s -> {
            assertThat(s.getOutcome()).isEqualTo(Outcome.RATE_LIMITED);
            assertThat(s.getRetryAfterMs()).as("the reset of the exhausted limit").isEqualTo(2000);
            assertThat(s.getDetail()).isEmpty();
        });
        assertThat(time.pauses).containsExactly(Duration.ofSeconds(1));
    }
}
