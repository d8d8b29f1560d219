package io.quotahub.chaos.provider;

import io.quotahub.chaos.ChaosJson;


import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static io.quotahub.chaos.ChaosJson.doc;

/**
 * How the simulator answers a call: its own plain format, or the way OpenAI, Anthropic or Google
 * Gemini answer (their rate-limit headers, their 429 bodies, their usage fields), so that the SDKs'
 * provider adapters can be tried against it. Each style has its own path:
 * {@code /v1/complete} (plain), {@code /v1/chat/completions} (OpenAI), {@code /v1/messages}
 * (Anthropic), {@code /v1beta/models/<model>:generateContent} (Gemini).
 *
 * <p>Per limit kind the headers describe the key's binding limit: the one with the least left
 * (the shortest window on a tie), as a provider reports the limit a caller will hit first.
 */
public enum ProviderStyle {
    PLAIN, OPENAI, ANTHROPIC, GEMINI;

    /** An answer: status, headers and a JSON body. */
    public record Answer(int status, Map<String, String> headers, String body) {
    }

    /** The style of a request path, or empty for a path the simulator does not serve. */
    public static Optional<ProviderStyle> ofPath(String path) {
        if (path.equals("/v1/complete")) {
            return Optional.of(PLAIN);
        }
        if (path.equals("/v1/chat/completions")) {
            return Optional.of(OPENAI);
        }
        if (path.equals("/v1/messages")) {
            return Optional.of(ANTHROPIC);
        }
        if (path.startsWith("/v1beta/models/") && path.endsWith(":generateContent")) {
            return Optional.of(GEMINI);
        }
        return Optional.empty();
    }

    /** The answer to a call the limiter refereed ({@code now}: when it was counted). */
    public Answer answer(ProviderLimiter.Result r, Instant now) {
        return switch (r.status()) {
            case ProviderLimiter.OK -> ok(r, now);
            case ProviderLimiter.RATE_LIMITED -> rateLimited(r, now);
            default -> unauthorized();
        };
    }

    private Answer ok(ProviderLimiter.Result r, Instant now) {
        long tokens = r.tokens();
        return switch (this) {
            case PLAIN -> new Answer(200, Map.of(), ChaosJson.write(doc("keyId", r.keyId(), "tokensUsed", tokens)));
            case OPENAI -> new Answer(200, openAiHeaders(r), ChaosJson.write(doc("id", "chatcmpl-sim", "object", "chat.completion",
                    "usage", doc("prompt_tokens", tokens - tokens / 2, "completion_tokens", tokens / 2, "total_tokens", tokens))));
            case ANTHROPIC -> new Answer(200, anthropicHeaders(r, now, null), ChaosJson.write(doc("id", "msg_sim", "type", "message",
                    "usage", doc("input_tokens", tokens - tokens / 2, "output_tokens", tokens / 2))));
            case GEMINI -> new Answer(200, Map.of(), ChaosJson.write(doc("candidates", List.of(),
                    "usageMetadata", doc("promptTokenCount", tokens - tokens / 2, "candidatesTokenCount", tokens / 2,
                            "totalTokenCount", tokens))));
        };
    }

    private Answer rateLimited(ProviderLimiter.Result r, Instant now) {
        long ms = Math.max(1, (r.retryAfter().toNanos() + 999_999) / 1_000_000);
        long secs = Math.max(1, (ms + 999) / 1000);
        Limit hit = r.refusedBy();
        return switch (this) {
            case PLAIN -> new Answer(429, Map.of("Retry-After", Long.toString(secs)),
                    ChaosJson.write(doc("error", "rate_limited", "keyId", r.keyId(), "retryAfterMs", ms)));
            case OPENAI -> new Answer(429, openAiHeaders(r), ChaosJson.write(doc("error", doc(
                    "message", "Rate limit reached on " + hit.label() + ". Please try again in " + goDuration(Duration.ofMillis(ms)) + ".",
                    "type", hit.kind() == Limit.Kind.REQUESTS ? "requests" : "tokens",
                    "param", null, "code", "rate_limit_exceeded"))));
            case ANTHROPIC -> new Answer(429, anthropicHeaders(r, now, secs), ChaosJson.write(doc("type", "error",
                    "error", doc("type", "rate_limit_error", "message", "This request would exceed the rate limit " + hit.label()))));
            case GEMINI -> new Answer(429, Map.of(), ChaosJson.write(doc("error", doc("code", 429,
                    "message", "You exceeded your current quota, please check your plan and billing details.",
                    "status", "RESOURCE_EXHAUSTED",
                    "details", List.of(
                            doc("@type", "type.googleapis.com/google.rpc.QuotaFailure", "violations", List.of(doc(
                                    "quotaMetric", "generativelanguage.googleapis.com/simulated",
                                    "quotaId", geminiQuotaId(hit),
                                    "quotaValue", Long.toString(hit.amount())))),
                            doc("@type", "type.googleapis.com/google.rpc.RetryInfo",
                                    "retryDelay", String.format(Locale.ROOT, "%.3fs", ms / 1000.0)))))));
        };
    }

    private Answer unauthorized() {
        return switch (this) {
            case PLAIN -> new Answer(401, Map.of(), "{\"error\":\"unauthorized\"}");
            case OPENAI -> new Answer(401, Map.of(), ChaosJson.write(doc("error", doc("message", "Incorrect API key provided.",
                    "type", "invalid_request_error", "param", null, "code", "invalid_api_key"))));
            case ANTHROPIC -> new Answer(401, Map.of(), ChaosJson.write(doc("type", "error",
                    "error", doc("type", "authentication_error", "message", "invalid x-api-key"))));
            case GEMINI -> new Answer(400, Map.of(), ChaosJson.write(doc("error", doc("code", 400,
                    "message", "API key not valid. Please pass a valid API key.", "status", "INVALID_ARGUMENT",
                    "details", List.of(doc("@type", "type.googleapis.com/google.rpc.ErrorInfo", "reason", "API_KEY_INVALID",
                            "domain", "googleapis.com"))))));
        };
    }

    private static Map<String, String> openAiHeaders(ProviderLimiter.Result r) {
        Map<String, String> h = new LinkedHashMap<>();
        binding(r, Limit.Kind.REQUESTS).ifPresent(l -> {
            h.put("x-ratelimit-limit-requests", Long.toString(l.limit().amount()));
            h.put("x-ratelimit-remaining-requests", Long.toString(l.remaining()));
            h.put("x-ratelimit-reset-requests", goDuration(l.resetAfter()));
        });
        binding(r, Limit.Kind.TOKENS).ifPresent(l -> {
            h.put("x-ratelimit-limit-tokens", Long.toString(l.limit().amount()));
            h.put("x-ratelimit-remaining-tokens", Long.toString(l.remaining()));
            h.put("x-ratelimit-reset-tokens", goDuration(l.resetAfter()));
        });
        return h;
    }

    private static Map<String, String> anthropicHeaders(ProviderLimiter.Result r, Instant now, Long retryAfterSeconds) {
        Map<String, String> h = new LinkedHashMap<>();
        if (retryAfterSeconds != null) {
            h.put("retry-after", Long.toString(retryAfterSeconds));
        }
        binding(r, Limit.Kind.REQUESTS).ifPresent(l -> anthropic(h, "requests", l, now));
        binding(r, Limit.Kind.TOKENS).ifPresent(l -> anthropic(h, "tokens", l, now));
        return h;
    }

    private static void anthropic(Map<String, String> h, String kind, ProviderLimiter.LimitState l, Instant now) {
        h.put("anthropic-ratelimit-" + kind + "-limit", Long.toString(l.limit().amount()));
        h.put("anthropic-ratelimit-" + kind + "-remaining", Long.toString(l.remaining()));
        h.put("anthropic-ratelimit-" + kind + "-reset", now.plus(l.resetAfter()).toString());
    }

    /** The limit of this kind with the least left (the shortest window on a tie). */
    private static Optional<ProviderLimiter.LimitState> binding(ProviderLimiter.Result r, Limit.Kind kind) {
        return r.limits().stream().filter(l -> l.limit().kind() == kind)
                .min(Comparator.comparingLong(ProviderLimiter.LimitState::remaining)
                        .thenComparing(l -> l.limit().per()));
    }

    /** As OpenAI writes durations (Go's {@code time.Duration}): {@code 20ms}, {@code 1.5s}, {@code 6m0s}, {@code 1h2m3s}. */
    static String goDuration(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1000) {
            return ms + "ms";
        }
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long rest = ms % 60_000;
        String secs = rest % 1000 == 0 ? Long.toString(rest / 1000)
                : String.format(Locale.ROOT, "%.3f", rest / 1000.0).replaceAll("0+$", "");
        return (h > 0 ? h + "h" + m + "m" : m > 0 ? m + "m" : "") + secs + "s";
    }

    /** A quota id in Gemini's naming, e.g. {@code GenerateRequestsPerMinutePerProjectPerModel}. */
    static String geminiQuotaId(Limit limit) {
        long s = limit.per().toSeconds();
        String per = s <= 1 ? "Second" : s <= 60 ? "Minute" : s <= 3600 ? "Hour" : "Day";
        return (limit.kind() == Limit.Kind.REQUESTS ? "GenerateRequests" : "GenerateContentInputTokens")
                + "Per" + per + "PerProjectPerModel";
    }
}
