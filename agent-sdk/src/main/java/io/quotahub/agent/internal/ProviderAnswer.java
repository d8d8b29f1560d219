package io.quotahub.agent.internal;

import io.quotahub.agent.provider.LimitKind;
import io.quotahub.agent.provider.ProviderLimit;
import io.quotahub.agent.provider.ProviderOutcome;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One provider answer as the adapters read it: headers by lower-case name, the body parsed as JSON
 * at most once and only when an adapter asks, and the rules every adapter shares (how a status is
 * classified, which wait wins).
 */
final class ProviderAnswer {

    final int status;
    final Instant receivedAt;
    private final Map<String, String> headers = new HashMap<>();
    private final String body;
    private Optional<Object> json;

    ProviderAnswer(int status, Map<String, List<String>> headers, String body, Instant receivedAt) {
        Objects.requireNonNull(headers, "headers");
        this.status = status;
        this.receivedAt = Objects.requireNonNull(receivedAt, "receivedAt");
        this.body = body;
        headers.forEach((name, values) -> {
            if (name != null && values != null) {
                values.stream().filter(Objects::nonNull).findFirst()
                        .ifPresent(v -> this.headers.putIfAbsent(name.toLowerCase(Locale.ROOT), v));
            }
        });
    }

    /** The first value of header {@code name} (lower case), or null. */
    String header(String name) {
        return headers.get(name);
    }

    /** The body as JSON, if it is JSON within {@link Json}'s bounds. */
    Optional<Object> json() {
        if (json == null) {
            json = Json.parse(body);
        }
        return json;
    }

    /** The outcome of the status alone: 2xx OK, 401/403 AUTH_FAILED, 429 RATE_LIMITED, else ERROR. */
    ProviderOutcome outcomeOfStatus() {
        if (status >= 200 && status < 300) {
            return ProviderOutcome.OK;
        }
        if (status == 401 || status == 403) {
            return ProviderOutcome.AUTH_FAILED;
        }
        return status == 429 ? ProviderOutcome.RATE_LIMITED : ProviderOutcome.ERROR;
    }

    /** Whether a retry may mend the failure: 5xx (Anthropic's 529 "overloaded" is one). */
    boolean isTransientStatus() {
        return status >= 500 && status < 600;
    }

    /**
     * The wait before a retry, first found: {@code retry-after-ms}; {@code Retry-After} (seconds or
     * an HTTP date); the provider's own hint; the longest reset of a limit with nothing remaining.
     */
    Optional<Duration> retryWait(Optional<Duration> providerHint, List<ProviderLimit> limits) {
        return ProviderValues.retryAfterMillis(header("retry-after-ms"))
                .or(() -> ProviderValues.retryAfter(header("retry-after"), receivedAt))
                .or(() -> providerHint)
                .or(() -> limits.stream().filter(ProviderLimit::isExhausted)
                        .flatMap(l -> l.resetAfter().stream()).max(Comparator.naturalOrder()));
    }

    /** A limit from the figures sent, or empty if none of them was. */
    static Optional<ProviderLimit> limit(LimitKind kind, OptionalLong limit, OptionalLong remaining,
            Optional<Duration> reset) {
        if (limit.isEmpty() && remaining.isEmpty() && reset.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ProviderLimit(kind, limit, remaining, reset));
    }

    /** A sum of the counts present, empty if none is. */
    static OptionalLong sum(OptionalLong... counts) {
        long total = 0;
        boolean any = false;
        for (OptionalLong c : counts) {
            if (c.isPresent()) {
                any = true;
                total = total > Long.MAX_VALUE - c.getAsLong() ? Long.MAX_VALUE : total + c.getAsLong();
            }
        }
        return any ? OptionalLong.of(total) : OptionalLong.empty();
    }
}
