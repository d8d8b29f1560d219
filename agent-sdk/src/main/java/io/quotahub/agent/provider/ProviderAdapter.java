package io.quotahub.agent.provider;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Reads a provider's HTTP answer: a pure function of its status, headers and body text, and of when
 * it arrived (resets given as times and HTTP dates are read relative to it). Works with any HTTP
 * client: give it the status, the headers as a map of names to values (names matched ignoring
 * case, as java.net.http's {@code HttpHeaders.map()}, Spring's {@code HttpHeaders} or OkHttp's
 * {@code Headers.toMultimap()} give them) and the body as text. The ready adapters are in
 * {@link Providers}. An adapter never copies text of the body into its reading.
 */
@FunctionalInterface
public interface ProviderAdapter {

    /**
     * Reads one answer. Never throws for what the provider sent: an unreadable value is ignored.
     *
     * @param status     the HTTP status
     * @param headers    the headers (names in any case; null keys and values are skipped), may be empty
     * @param body       the body as text, may be null or empty
     * @param receivedAt when the answer arrived
     * @return what the answer said
     * @throws NullPointerException if {@code headers} or {@code receivedAt} is null
     */
    ProviderReading read(int status, Map<String, List<String>> headers, String body, Instant receivedAt);

    /**
     * A reader of java.net.http responses with this adapter. The body is read as text when it is a
     * {@code String} or a {@code byte[]} (UTF-8); other body types are read without a body.
     *
     * @return the reader
     */
    default ResultReader<HttpResponse<?>> forHttpResponses() {
        return (response, receivedAt) -> read(response.statusCode(), response.headers().map(),
                textOf(response.body()), receivedAt);
    }

    /**
     * A reader of any HTTP client's responses with this adapter.
     *
     * @param status  the status of a response
     * @param headers the headers of a response
     * @param body    the body text of a response
     * @param <T>     the client's response type
     * @return the reader
     * @throws NullPointerException if an argument is null
     */
    default <T> ResultReader<T> reading(ToIntFunction<? super T> status,
            Function<? super T, ? extends Map<String, List<String>>> headers, Function<? super T, String> body) {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        return (response, receivedAt) -> read(status.applyAsInt(response), headers.apply(response),
                body.apply(response), receivedAt);
    }

    private static String textOf(Object body) {
        if (body instanceof String s) {
            return s;
        }
        if (body instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return "";
    }
}
