package io.quotahub.chaos.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.quotahub.testing.ManualClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProviderServerTest {

    private static final String SECRET_1 = "sk-test-7f3a9c21d4e8";
    private static final String SECRET_2 = "sk-test-0b5e6d7c8a9f";

    private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final HttpClient http = HttpClient.newHttpClient();
    private ProviderServer server;

    @BeforeEach
    void start() throws Exception {
        ProviderLimiter limiter = new ProviderLimiter(List.of(
                new ProviderKey("k1", SECRET_1, List.of(Limit.requests(2, Duration.ofMinutes(1)))),
                new ProviderKey("k2", SECRET_2, List.of(Limit.tokens(1000, Duration.ofMinutes(1))))), clock);
        server = ProviderServer.start(limiter, "127.0.0.1", 0, Duration.ZERO);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> complete(String secret, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/v1/complete")).POST(HttpRequest.BodyPublishers.ofString(body));
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    @Test
    void complete_underTheLimitAnswers200WithTheKeyIdAndTokens() throws Exception {
        HttpResponse<String> r = complete(SECRET_2, "{\"tokens\": 120}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"keyId\":\"k2\",\"tokensUsed\":120}");
        assertThat(complete(SECRET_1, "").body()).as("tokens default to 1").contains("\"tokensUsed\":1");
    }

    @Test
    void complete_overTheLimitAnswers429WithRetryAfter() throws Exception {
        complete(SECRET_1, "{}");
        clock.advance(Duration.ofMillis(20_500));
        complete(SECRET_1, "{}");
        HttpResponse<String> r = complete(SECRET_1, "{}");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("40"); // 39.5 s, rounded up
        assertThat(r.body()).contains("\"error\":\"rate_limited\"").contains("\"retryAfterMs\":39500");
    }

    @Test
    void complete_unknownOrMissingKeyAnswers401() throws Exception {
        assertThat(complete("sk-nope", "{}").statusCode()).isEqualTo(401);
        assertThat(complete(null, "{}").statusCode()).isEqualTo(401);
        assertThat(complete(SECRET_1, "{\"tokens\":\"many\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void stats_countCallsPerKeyAndResetClearsThem() throws Exception {
        complete(SECRET_1, "{}");
        complete(SECRET_1, "{}");
        complete(SECRET_1, "{}");
        complete(SECRET_2, "{\"tokens\":700}");
        complete("sk-nope", "{}");
        String stats = get("/stats").body();
        assertThat(stats).startsWith("{\"requests\":5,\"rateLimited\":1,\"ok\":3,\"unauthorized\":1,");
        assertThat(stats).contains("\"k1\":{\"requests\":3,\"ok\":2,\"rateLimited\":1")
                .contains("{\"limit\":\"requests 2/PT1M\",\"max\":2,\"capacity\":2")
                .contains("{\"limit\":\"tokens 1000/PT1M\",\"max\":700,\"capacity\":1000");
        String calls = get("/calls").body();
        assertThat(calls).contains("\"keyId\":\"k1\",\"tokens\":1,\"status\":429")
                .contains("\"keyId\":null,\"tokens\":1,\"status\":401");

        HttpResponse<String> reset = http.send(HttpRequest.newBuilder(uri("/stats/reset"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(reset.statusCode()).isEqualTo(200);
        assertThat(get("/stats").body()).startsWith("{\"requests\":0,\"rateLimited\":0,");
        assertThat(get("/calls").body()).isEqualTo("[]");
    }

    @Test
    void secretsNeverAppearInStatsOrCalls() throws Exception {
        complete(SECRET_1, "{}");
        complete(SECRET_2, "{\"tokens\":5000}");
        complete(SECRET_1 + "x", "{}");
        for (String path : List.of("/stats", "/calls")) {
            String body = get(path).body();
            assertThat(body).contains("k1").doesNotContain(SECRET_1).doesNotContain(SECRET_2).doesNotContain("sk-test");
        }
    }
}
