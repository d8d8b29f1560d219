package io.quotahub.agent.internal;

import io.quotahub.agent.provider.LimitKind;
import io.quotahub.agent.provider.ProviderAdapter;
import io.quotahub.agent.provider.ProviderLimit;
import io.quotahub.agent.provider.ProviderOutcome;
import io.quotahub.agent.provider.ProviderReading;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Anthropic: {@code anthropic-ratelimit-requests|tokens|input-tokens|output-tokens-limit|remaining|reset}
 * (resets as RFC 3339 times), {@code retry-after}; 529 {@code overloaded_error} is transient (a
 * 5xx). Tokens: {@code usage.input_tokens + usage.output_tokens}.
 */
public final class AnthropicAdapter implements ProviderAdapter {

    @Override
    public ProviderReading read(int status, Map<String, List<String>> headers, String body, Instant receivedAt) {
        ProviderAnswer answer = new ProviderAnswer(status, headers, body, receivedAt);
        List<ProviderLimit> limits = Stream.of(limit(answer, LimitKind.REQUESTS, "requests"),
                limit(answer, LimitKind.TOKENS, "tokens"), limit(answer, LimitKind.INPUT_TOKENS, "input-tokens"),
                limit(answer, LimitKind.OUTPUT_TOKENS, "output-tokens")).flatMap(Optional::stream).toList();
        ProviderOutcome outcome = answer.outcomeOfStatus();
        OptionalLong tokens = outcome == ProviderOutcome.OK ? answer.json().map(j -> ProviderAnswer.sum(
                ProviderValues.count(Json.number(j, "usage", "input_tokens").orElse(null)),
                ProviderValues.count(Json.number(j, "usage", "output_tokens").orElse(null))))
                .orElse(OptionalLong.empty()) : OptionalLong.empty();
        return ProviderReadings.of(answer, outcome, limits, Optional.empty(), Optional.empty(), tokens);
    }

    private static Optional<ProviderLimit> limit(ProviderAnswer answer, LimitKind kind, String name) {
        String prefix = "anthropic-ratelimit-" + name + "-";
        return ProviderAnswer.limit(kind, ProviderValues.count(answer.header(prefix + "limit")),
                ProviderValues.count(answer.header(prefix + "remaining")),
                ProviderValues.untilRfc3339(answer.header(prefix + "reset"), answer.receivedAt));
    }
}
