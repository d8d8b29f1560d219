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
 * OpenAI: {@code x-ratelimit-limit|remaining|reset-requests|tokens} (resets as Go durations),
 * {@code retry-after-ms} / {@code retry-after}; a 429 {@code insufficient_quota} is billing, not a
 * rate: the key is unusable until someone acts. Tokens from {@code usage.total_tokens} (Chat
 * Completions and Responses), else the sum of its parts.
 */
public final class OpenAiAdapter implements ProviderAdapter {

    @Override
    public ProviderReading read(int status, Map<String, List<String>> headers, String body, Instant receivedAt) {
        ProviderAnswer answer = new ProviderAnswer(status, headers, body, receivedAt);
        List<ProviderLimit> limits = Stream.of(limit(answer, LimitKind.REQUESTS, "requests"),
                limit(answer, LimitKind.TOKENS, "tokens")).flatMap(Optional::stream).toList();
        ProviderOutcome outcome = answer.outcomeOfStatus();
        if (outcome == ProviderOutcome.RATE_LIMITED && isInsufficientQuota(answer)) {
            outcome = ProviderOutcome.AUTH_FAILED;
        }
        OptionalLong tokens = outcome == ProviderOutcome.OK ? tokensUsed(answer) : OptionalLong.empty();
        return ProviderReadings.of(answer, outcome, limits, Optional.empty(), Optional.empty(), tokens);
    }

    private static Optional<ProviderLimit> limit(ProviderAnswer answer, LimitKind kind, String suffix) {
        return ProviderAnswer.limit(kind, ProviderValues.count(answer.header("x-ratelimit-limit-" + suffix)),
                ProviderValues.count(answer.header("x-ratelimit-remaining-" + suffix)),
                ProviderValues.goDuration(answer.header("x-ratelimit-reset-" + suffix)));
    }

    private static boolean isInsufficientQuota(ProviderAnswer answer) {
        return answer.json().map(j -> Json.string(j, "error", "code").or(() -> Json.string(j, "error", "type"))
                .filter("insufficient_quota"::equals).isPresent()).orElse(false);
    }

    private static OptionalLong tokensUsed(ProviderAnswer answer) {
        Optional<Object> json = answer.json();
        if (json.isEmpty()) {
            return OptionalLong.empty();
        }
        Object j = json.get();
        OptionalLong total = ProviderValues.count(Json.number(j, "usage", "total_tokens").orElse(null));
        if (total.isPresent()) {
            return total;
        }
        return ProviderAnswer.sum(ProviderValues.count(Json.number(j, "usage", "prompt_tokens").orElse(null)),
                ProviderValues.count(Json.number(j, "usage", "completion_tokens").orElse(null)),
                ProviderValues.count(Json.number(j, "usage", "input_tokens").orElse(null)),
                ProviderValues.count(Json.number(j, "usage", "output_tokens").orElse(null)));
    }
}
