package io.quotahub.agent.provider;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the recorded examples do not show: header case, bad values, hostile bodies, odd statuses. */
class AdaptersTest {

    private static final Instant AT = Instant.parse("2026-12-07T12:00:00Z");

    private static Map<String, List<String>> headers(String... namesAndValues) {
        Map<String, List<String>> h = new java.util.LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            h.put(namesAndValues[i], List.of(namesAndValues[i + 1]));
        }
        return h;
    }

    @Test
    void headerNamesMatchInAnyCase() {
        ProviderReading r = Providers.openai().read(429, headers("X-RATELIMIT-REMAINING-TOKENS", "0",
                "X-RateLimit-Reset-Tokens", "2s", "RETRY-AFTER", "3"), "", AT);

        assertThat(r.retryAfter()).contains(Duration.ofSeconds(3));
        assertThat(r.report().limits()).containsExactly(ProviderLimit.of(LimitKind.TOKENS, null, 0L, Duration.ofSeconds(2)));
    }

    @Test
    void badValuesAreIgnoredAndTheOthersKept() {
        ProviderReading r = Providers.openai().read(429, headers("x-ratelimit-limit-requests", "lots",
                "x-ratelimit-remaining-requests", "-3", "x-ratelimit-reset-requests", "6m0s", "retry-after", "later"),
                "not json", AT);

        assertThat(r.outcome()).isEqualTo(ProviderOutcome.RATE_LIMITED);
        assertThat(r.report().limits()).containsExactly(ProviderLimit.of(LimitKind.REQUESTS, null, null, Duration.ofMinutes(6)));
        assertThat(r.retryAfter()).as("no limit says nothing remains, no header parses").isEmpty();
    }

    @Test
    void hugeLimitsAreClamped() {
        ProviderReading r = Providers.anthropic().read(200, headers("anthropic-ratelimit-tokens-limit",
                "123456789012345678901234567890"), "", AT);

        assertThat(r.report().limits().get(0).limit()).hasValue(Long.MAX_VALUE);
    }

    @Test
    void nullHeaderNamesAndValues_asHttpUrlConnectionGivesThem_areSkipped() {
        Map<String, List<String>> h = new java.util.HashMap<>();
        h.put(null, List.of("HTTP/1.1 429 Too Many Requests"));
        h.put("Retry-After", java.util.Arrays.asList(null, "7"));

        assertThat(Providers.generic().read(429, h, null, AT).retryAfter()).contains(Duration.ofSeconds(7));
    }

    @Test
    void retryAfterIsOnlyReadForARateLimit() {
        assertThat(Providers.generic().read(503, headers("Retry-After", "5"), "", AT))
                .isEqualTo(ProviderReading.error(true, ProviderReport.EMPTY));
        assertThat(Providers.generic().read(200, headers("Retry-After", "5"), "", AT).retryAfter()).isEmpty();
    }

    @Test
    void statusesOutsideTheRulesAreNonTransientErrors() {
        for (int status : new int[] {100, 304, 404, 408, 422, 600, -1}) {
            assertThat(Providers.generic().read(status, Map.of(), "", AT)).as("status " + status)
                    .isEqualTo(ProviderReading.error(false, ProviderReport.EMPTY));
        }
    }

    @Test
    void hostileBodiesReadAsNoBody() {
        String deep = "{\"usage\":" + "[".repeat(10_000);
        assertThat(Providers.openai().read(200, Map.of(), deep, AT).tokensUsed()).isEmpty();
        assertThat(Providers.gemini().read(429, Map.of(), "{\"error\":{\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{\"quotaId\":\"has spaces & stuff\"}]}]}}", AT)
                .report().quotaId()).as("a quota id that is not an identifier is dropped").isEmpty();
        assertThat(Providers.openai().read(200, Map.of(), "{\"usage\":{\"total_tokens\":-5}}", AT).tokensUsed()).isEmpty();
    }

    @Test
    void geminiResourceExhaustedIsARateLimitWhateverTheStatus() {
        ProviderReading r = Providers.gemini().read(400, Map.of(), "{\"error\":{\"status\":\"RESOURCE_EXHAUSTED\"}}", AT);
        assertThat(r.outcome()).isEqualTo(ProviderOutcome.RATE_LIMITED);
        assertThat(r.retryAfter()).isEmpty();
    }

    @Test
    void readingsAndReportsRefuseNonsense() {
        assertThatThrownBy(() -> ProviderLimit.of(LimitKind.TOKENS, -1L, null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProviderReport(java.util.Optional.of("sk-key with spaces"), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("sk-key");
        assertThatThrownBy(() -> new ProviderReading(ProviderOutcome.OK, true, java.util.Optional.empty(),
                java.util.OptionalLong.empty(), ProviderReport.EMPTY)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theGenericReadersReadAnyClientsResponse() {
        record OkHttpLike(int code, Map<String, List<String>> headers, String text) {
        }
        ResultReader<OkHttpLike> reader = Providers.openai().reading(OkHttpLike::code, OkHttpLike::headers, OkHttpLike::text);

        ProviderReading r = reader.read(new OkHttpLike(200, Map.of(), "{\"usage\":{\"total_tokens\":29}}"), AT);

        assertThat(r.tokensUsed()).hasValue(29);
    }
}
