package io.quotahub.agent;

import com.sun.net.httpserver.HttpServer;
import io.quotahub.agent.provider.Providers;
import io.quotahub.proto.Outcome;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The three provider examples of docs/calling-providers.md ("Java"), as written there but against a
 * local server answering as each provider does (only the base URL differs), through a fake hub.
 */
class CallingProvidersSnippetTest extends NatsTestBase {

    private HttpServer server;
    private final Map<String, String> keysSeen = new ConcurrentHashMap<>();

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    private String startProviders() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        answer("/v1/chat/completions", "Authorization", "{\"id\":\"chatcmpl-1\",\"usage\":{\"prompt_tokens\":19,"
                + "\"completion_tokens\":10,\"total_tokens\":29}}", "x-ratelimit-remaining-requests", "9999");
        answer("/v1/messages", "x-api-key", "{\"type\":\"message\",\"usage\":{\"input_tokens\":12,\"output_tokens\":6}}",
                "anthropic-ratelimit-requests-remaining", "49");
        answer("/v1beta/models/gemini-2.5-pro:generateContent", "x-goog-api-key",
                "{\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":12,\"totalTokenCount\":20}}", null, null);
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void answer(String path, String keyHeader, String body, String header, String value) {
        server.createContext(path, exchange -> {
            keysSeen.put(path, exchange.getRequestHeaders().getFirst(keyHeader));
            exchange.getRequestBody().readAllBytes();
            if (header != null) {
                exchange.getResponseHeaders().add(header, value);
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
    }

    @Test
    void theDocsExamples_settleWithEachProvidersTokenCount() throws Exception {
        FakeHub hub = hub("main");
        String base = startProviders();

        // ---- docs/calling-providers.md, Java (servers, user file and base URLs point at the test's) ----
        HttpClient http = HttpClient.newHttpClient();
        QuotaClient client = closeLater(clientBuilder()
                .provider("gpt-4o", Providers.openai())
                .provider("claude-sonnet", Providers.anthropic())
                .provider("gemini-pro", Providers.gemini())
                .build());

        HttpResponse<String> openai = client.call("gpt-4o", 1200, Duration.ofSeconds(5), lease -> http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + lease.apiKey())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString()));

        HttpResponse<String> anthropic = client.call("claude-sonnet", 1200, Duration.ofSeconds(5), lease -> http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
                        .header("x-api-key", lease.apiKey())
                        .header("anthropic-version", "2023-06-01")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-20250514\",\"max_tokens\":1024,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString()));

        HttpResponse<String> gemini = client.call("gemini-pro", 1200, Duration.ofSeconds(5), lease -> http.send(
                HttpRequest.newBuilder(URI.create(
                                base + "/v1beta/models/gemini-2.5-pro:generateContent"))
                        .header("x-goog-api-key", lease.apiKey())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"contents\":[{\"parts\":[{\"text\":\"Hello\"}]}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString()));
        // ---- end of the docs' examples ----

        assertThat(List.of(openai.statusCode(), anthropic.statusCode(), gemini.statusCode())).containsOnly(200);
        String key = FakeHub.apiKeyOf("main");
        assertThat(keysSeen).containsEntry("/v1/chat/completions", "Bearer " + key).containsEntry("/v1/messages", key)
                .containsEntry("/v1beta/models/gemini-2.5-pro:generateContent", key);
        List<SettleRequest> settles = hub.settles.stream().map(FakeHub.Received::request).toList();
        assertThat(settles).extracting(SettleRequest::getOutcome).containsOnly(Outcome.OK);
        assertThat(settles).extracting(SettleRequest::getTokensUsed).containsExactly(29L, 18L, 20L);
        assertThat(settles.get(0).getProvider().getLimits(0).getRemaining()).isEqualTo(9999);
        assertThat(settles.get(1).getProvider().getLimits(0).getRemaining()).isEqualTo(49);
        assertThat(settles.get(2).hasProvider()).isFalse();
    }
}
