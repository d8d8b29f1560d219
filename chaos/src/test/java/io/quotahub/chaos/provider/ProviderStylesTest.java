package io.quotahub.chaos.provider;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The simulator answers as OpenAI, Anthropic and Gemini do, and counts calls made from outside QuotaHub. */
class ProviderStylesTest {

    private static final String SECRET = "sk-style-test-4d2a91";
    private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");

    private final ManualClock clock = new ManualClock(T0);
    private final HttpClient http = HttpClient.newHttpClient();
    private ProviderServer server;

    @BeforeEach
    void start() throws Exception {
        ProviderLimiter limiter = new ProviderLimiter(List.of(new ProviderKey("k1", SECRET, List.of(
                Limit.requests(3, Duration.ofMinutes(1)), Limit.requests(100, Duration.ofDays(1)),
                Limit.tokens(1000, Duration.ofMinutes(1))))), clock);
        server = ProviderServer.start(limiter, "127.0.0.1", 0, Duration.ZERO);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> call(String path, String header, String value, long tokens) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header(header, value).POST(HttpRequest.BodyPublishers.ofString("{\"tokens\":" + tokens + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> openAi(long tokens) throws Exception {
        return call("/v1/chat/completions", "Authorization", "Bearer " + SECRET, tokens);
    }

    @Test
    void openAi_reportsTheBindingLimitOfEachKind_andUsage() throws Exception {
        openAi(100);
        clock.advance(Duration.ofSeconds(20));
        HttpResponse<String> r = openAi(250);

        assertThat(r.statusCode()).isEqualTo(200);
        // requests: 1 of 3 left per minute binds (99 of 100 per day do not); reset when the first call leaves (40 s)
        assertThat(r.headers().firstValue("x-ratelimit-limit-requests")).hasValue("3");
        assertThat(r.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("1");
        assertThat(r.headers().firstValue("x-ratelimit-reset-requests")).hasValue("1m0s");
        assertThat(r.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("1000");
        assertThat(r.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("650");
        assertThat(r.headers().firstValue("x-ratelimit-reset-tokens")).hasValue("1m0s");
        assertThat(ChaosJson.obj(ChaosJson.obj(ChaosJson.parse(r.body())).get("usage"))).containsEntry("total_tokens", 250);
    }

    @Test
    void openAi_429_hasTheHeadersAndOpenAisErrorBody() throws Exception {
        openAi(1);
        openAi(1);
        openAi(1);
        clock.advance(Duration.ofMillis(1500));
        HttpResponse<String> r = openAi(1);

        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        assertThat(r.headers().firstValue("x-ratelimit-reset-requests")).hasValue("58.5s");
        Map<String, Object> error = ChaosJson.obj(ChaosJson.obj(ChaosJson.parse(r.body())).get("error"));
        assertThat(error).containsEntry("code", "rate_limit_exceeded").containsEntry("type", "requests");
        assertThat(r.body()).doesNotContain(SECRET);
    }

    @Test
    void anthropic_sendsRfc3339ResetsAndRetryAfter_withTheKeyInXApiKey() throws Exception {
        call("/v1/messages", "x-api-key", SECRET, 10);
        call("/v1/messages", "x-api-key", SECRET, 10);
        call("/v1/messages", "x-api-key", SECRET, 10);
        HttpResponse<String> r = call("/v1/messages", "x-api-key", SECRET, 10);

        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("retry-after")).hasValue("60");
        assertThat(r.headers().firstValue("anthropic-ratelimit-requests-remaining")).hasValue("0");
        assertThat(r.headers().firstValue("anthropic-ratelimit-requests-reset")).hasValue("2026-12-07T12:01:00Z");
        assertThat(ChaosJson.obj(ChaosJson.obj(ChaosJson.parse(r.body())).get("error"))).containsEntry("type", "rate_limit_error");
        HttpResponse<String> wrongKey = call("/v1/messages", "x-api-key", "sk-nope", 1);
        assertThat(wrongKey.statusCode()).isEqualTo(401);
        assertThat(wrongKey.body()).contains("authentication_error");
    }

    @Test
    void gemini_429_carriesQuotaFailureAndRetryInfo() throws Exception {
        String path = "/v1beta/models/gemini-2.0-flash:generateContent";
        HttpResponse<String> ok = call(path, "x-goog-api-key", SECRET, 900);
        HttpResponse<String> r = call(path, "x-goog-api-key", SECRET, 200);

        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ChaosJson.obj(ChaosJson.obj(ChaosJson.parse(ok.body())).get("usageMetadata"))).containsEntry("totalTokenCount", 900);
        assertThat(r.statusCode()).isEqualTo(429);
        Map<String, Object> error = ChaosJson.obj(ChaosJson.obj(ChaosJson.parse(r.body())).get("error"));
        assertThat(error).containsEntry("status", "RESOURCE_EXHAUSTED");
        assertThat(r.body()).contains("\"quotaId\":\"GenerateContentInputTokensPerMinutePerProjectPerModel\"",
                "\"quotaValue\":\"1000\"", "\"retryDelay\":\"60.000s\"");
        assertThat(call(path, "x-goog-api-key", "nope", 1).body()).contains("API_KEY_INVALID");
    }

    @Test
    void externalCalls_countInTheWindows_butNotInTheManagedCounters() throws Exception {
        HttpResponse<String> ext = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/external"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"keyId\":\"k1\",\"calls\":5,\"tokens\":10}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(ChaosJson.obj(ChaosJson.parse(ext.body()))).containsEntry("admitted", 3);
        HttpResponse<String> managed = openAi(1);
        assertThat(managed.statusCode()).as("the outside calls used the key's 3 requests a minute").isEqualTo(429);
        ProviderLimiter.KeyStats stats = server.limiter().stats().keys().get("k1");
        assertThat(stats.externalOk()).isEqualTo(3);
        assertThat(stats.externalRefused()).isEqualTo(2);
        assertThat(stats.requests()).isEqualTo(1);
        assertThat(stats.rateLimited()).isEqualTo(1);
        assertThat(server.limiter().stats().rateLimited()).isEqualTo(1);
    }

    @Test
    void goDurations_areWrittenAsOpenAiWritesThem() {
        assertThat(ProviderStyle.goDuration(Duration.ofMillis(20))).isEqualTo("20ms");
        assertThat(ProviderStyle.goDuration(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(ProviderStyle.goDuration(Duration.ofMinutes(6))).isEqualTo("6m0s");
        assertThat(ProviderStyle.goDuration(Duration.ofMillis(90_250))).isEqualTo("1m30.25s");
        assertThat(ProviderStyle.goDuration(Duration.ofSeconds(3723))).isEqualTo("1h2m3s");
    }
}
