package io.quotahub.agent;

import com.sun.net.httpserver.HttpServer;
import io.quotahub.agent.provider.Providers;
import io.quotahub.proto.LimitKind;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.ProviderLimit;
import io.quotahub.proto.SettleRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ready java.net.http hook end to end: a real HttpClient calls a local server that answers as
 * OpenAI does when a key's tokens per minute are used up, and the fake hub receives what it said.
 */
class HttpProviderCallTest extends NatsTestBase {

    private static final String RATE_LIMIT_BODY = "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in organization"
            + " org-abc123 on tokens per min (TPM): Limit 30000, Used 29800, Requested 900. Please try again in 1.4s.\","
            + "\"type\":\"tokens\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";

    private HttpServer server;
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    private URI startOpenAiLikeServer() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.getRequestBody().readAllBytes();
            var h = exchange.getResponseHeaders();
            h.add("x-ratelimit-limit-requests", "5000");
            h.add("x-ratelimit-limit-tokens", "30000");
            h.add("x-ratelimit-remaining-requests", "4990");
            h.add("x-ratelimit-remaining-tokens", "0");
            h.add("x-ratelimit-reset-requests", "1m30.25s");
            h.add("x-ratelimit-reset-tokens", "1.5s");
            h.add("retry-after-ms", "1500");
            h.add("retry-after", "2");
            h.add("content-type", "application/json");
            byte[] body = RATE_LIMIT_BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(429, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/chat/completions");
    }

    @Test
    void openAi429_overJavaNetHttp_settlesRateLimitedWithItsLimits() throws Exception {
        FakeHub main = hub("main");
        URI endpoint = startOpenAiLikeServer();
        HttpClient http = HttpClient.newHttpClient();
        QuotaClient client = closeLater(clientBuilder().provider("gpt-4o", Providers.openai()).build());

        HttpResponse<String> response = client.call("gpt-4o", 900, Duration.ofSeconds(5), lease -> http.send(
                HttpRequest.newBuilder(endpoint)
                        .header("Authorization", "Bearer " + lease.apiKey())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o\",\"messages\":[]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString()));

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(authorizations).containsExactly("Bearer " + FakeHub.apiKeyOf("main"));
        assertThat(main.settles).hasSize(1);
        SettleRequest settle = main.settles.get(0).request();
        assertThat(settle.getOutcome()).isEqualTo(Outcome.RATE_LIMITED);
        assertThat(settle.getRetryAfterMs()).as("retry-after-ms wins over retry-after").isEqualTo(1500);
        assertThat(settle.getProvider().getLimitsList()).containsExactly(
                ProviderLimit.newBuilder().setKind(LimitKind.REQUESTS).setLimit(5000).setRemaining(4990)
                        .setResetAfterMs(90_250).build(),
                ProviderLimit.newBuilder().setKind(LimitKind.TOKENS).setLimit(30000).setRemaining(0)
                        .setResetAfterMs(1500).build());
        assertThat(settle.getCallDurationMs()).as("measured, rounded up to whole ms").isPositive();
        assertThat(settle.toString()).as("nothing of the body").doesNotContain("org-abc123").doesNotContain("Rate limit");
    }
}
