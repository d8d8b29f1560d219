package io.quotahub.chaos.suite;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Calls the provider simulator with a leased key. */
public final class ProviderCaller {

    /** The provider's answer: HTTP status (0 on an I/O error) and its Retry-After in seconds. */
    public record Answer(int status, long retryAfterSeconds) {
    }

    private final URI provider;
    private final URI complete;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public ProviderCaller(URI provider) {
        this.provider = provider;
        this.complete = provider.resolve("/v1/complete");
    }

    /** The provider simulator's base URL (its {@code POST /v1/complete} takes the calls). */
    public URI provider() {
        return provider;
    }

    public Answer call(String apiKey, long tokens) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(complete)
                    .timeout(Duration.ofSeconds(5))
                    .header("Authorization", "Bearer " + apiKey)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"tokens\":" + tokens + "}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers().firstValueAsLong("Retry-After").orElse(1));
        } catch (IOException e) {
            return new Answer(0, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, 0);
        }
    }
}
