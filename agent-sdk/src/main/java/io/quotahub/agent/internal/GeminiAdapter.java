package io.quotahub.agent.internal;

import io.quotahub.agent.provider.LimitKind;
import io.quotahub.agent.provider.ProviderAdapter;
import io.quotahub.agent.provider.ProviderLimit;
import io.quotahub.agent.provider.ProviderOutcome;
import io.quotahub.agent.provider.ProviderReading;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Google Gemini (generativelanguage.googleapis.com): no rate-limit headers; a 429 (or an error of
 * status {@code RESOURCE_EXHAUSTED}) carries {@code google.rpc.RetryInfo} with a {@code retryDelay}
 * and {@code google.rpc.QuotaFailure} violations naming the quota that refused (its
 * {@code quotaValue} is the limit, nothing of it remains until the delay has passed). A 400 whose
 * {@code ErrorInfo} reason is {@code API_KEY_INVALID} is an auth failure. Tokens:
 * {@code usageMetadata.totalTokenCount}.
 */
public final class GeminiAdapter implements ProviderAdapter {

    private static final String TYPE_PREFIX = "type.googleapis.com/google.rpc.";

    @Override
    public ProviderReading read(int status, Map<String, List<String>> headers, String body, Instant receivedAt) {
        ProviderAnswer answer = new ProviderAnswer(status, headers, body, receivedAt);
        ProviderOutcome outcome = answer.outcomeOfStatus();
        if (outcome == ProviderOutcome.OK) {
            OptionalLong tokens = answer.json()
                    .map(j -> ProviderValues.count(Json.number(j, "usageMetadata", "totalTokenCount").orElse(null)))
                    .orElse(OptionalLong.empty());
            return ProviderReadings.of(answer, outcome, List.of(), Optional.empty(), Optional.empty(), tokens);
        }
        List<Object> details = answer.json().map(j -> Json.array(j, "error", "details")).orElse(List.of());
        if (hasReason(details, "API_KEY_INVALID")) {
            outcome = ProviderOutcome.AUTH_FAILED;
        } else if (answer.json().flatMap(j -> Json.string(j, "error", "status")).filter("RESOURCE_EXHAUSTED"::equals)
                .isPresent()) {
            outcome = ProviderOutcome.RATE_LIMITED;
        }
        Optional<Duration> retryDelay = ofType(details, "RetryInfo").stream()
                .flatMap(d -> Json.string(d, "retryDelay").stream())
                .flatMap(v -> ProviderValues.protoDuration(v).stream()).findFirst();
        List<Object> violations = ofType(details, "QuotaFailure").stream()
                .flatMap(d -> Json.array(d, "violations").stream()).toList();
        Optional<String> quotaId = violations.stream().flatMap(v -> Json.string(v, "quotaId").stream()).findFirst();
        return ProviderReadings.of(answer, outcome, limits(violations, retryDelay), quotaId, retryDelay,
                OptionalLong.empty());
    }

    private static List<Object> ofType(List<Object> details, String type) {
        return details.stream().filter(d -> Json.string(d, "@type").filter((TYPE_PREFIX + type)::equals).isPresent())
                .toList();
    }

    private static boolean hasReason(List<Object> details, String reason) {
        return ofType(details, "ErrorInfo").stream().anyMatch(d -> Json.string(d, "reason").filter(reason::equals)
                .isPresent());
    }

    /** One limit per kind of violation (the first of a kind): its quotaValue, nothing left until the delay. */
    private static List<ProviderLimit> limits(List<Object> violations, Optional<Duration> retryDelay) {
        List<ProviderLimit> limits = new ArrayList<>();
        Set<LimitKind> seen = EnumSet.noneOf(LimitKind.class);
        for (Object v : violations) {
            Optional<LimitKind> kind = kindOf(Json.string(v, "quotaId").orElse("") + " "
                    + Json.string(v, "quotaMetric").orElse(""));
            if (kind.isPresent() && seen.add(kind.get())) {
                limits.add(new ProviderLimit(kind.get(), quotaValue(v), OptionalLong.of(0), retryDelay));
            }
        }
        return limits;
    }

    /** The kind a quota's id or metric names, e.g. {@code ...InputTokensPerModelPerMinute}, {@code ..._requests}. */
    static Optional<LimitKind> kindOf(String names) {
        String n = names.toLowerCase(Locale.ROOT).replace("_", "");
        if (n.contains("inputtoken")) {
            return Optional.of(LimitKind.INPUT_TOKENS);
        }
        if (n.contains("outputtoken")) {
            return Optional.of(LimitKind.OUTPUT_TOKENS);
        }
        if (n.contains("token")) {
            return Optional.of(LimitKind.TOKENS);
        }
        return n.contains("request") ? Optional.of(LimitKind.REQUESTS) : Optional.empty();
    }

    /** {@code quotaValue}: an int64 in proto JSON, so a string, sometimes a number. */
    private static OptionalLong quotaValue(Object violation) {
        Optional<Object> value = Json.at(violation, "quotaValue");
        if (value.isPresent() && value.get() instanceof String s) {
            return ProviderValues.count(s);
        }
        return ProviderValues.count(value.filter(BigDecimal.class::isInstance).map(BigDecimal.class::cast).orElse(null));
    }
}
