package io.quotahub.agent.provider;

import io.quotahub.agent.internal.AnthropicAdapter;
import io.quotahub.agent.internal.GeminiAdapter;
import io.quotahub.agent.internal.GenericAdapter;
import io.quotahub.agent.internal.OpenAiAdapter;

/**
 * The ready {@link ProviderAdapter adapters}. Each classifies the status (2xx OK; 401, 403
 * {@code AUTH_FAILED}; 429 {@code RATE_LIMITED}; 5xx a transient {@code ERROR}; other codes an
 * {@code ERROR} a retry would not mend) and reads the retry wait, first found:
 * {@code retry-after-ms}; {@code Retry-After} (seconds or an HTTP date); the provider's own hint;
 * the longest reset of a limit with nothing remaining. Values that do not parse are ignored; nothing
 * of a body's text is ever copied into a reading.
 */
public final class Providers {

    private static final ProviderAdapter OPENAI = new OpenAiAdapter();
    private static final ProviderAdapter ANTHROPIC = new AnthropicAdapter();
    private static final ProviderAdapter GEMINI = new GeminiAdapter();
    private static final ProviderAdapter GENERIC = new GenericAdapter();

    private Providers() {
    }

    /**
     * OpenAI (and OpenAI-compatible APIs that send its headers): {@code x-ratelimit-limit|remaining|reset-requests|tokens}
     * with resets as Go durations ({@code 6m0s}, {@code 1.5s}, {@code 20ms}); a 429
     * {@code insufficient_quota} is {@code AUTH_FAILED} (billing: the key is unusable until someone
     * acts); tokens from {@code usage.total_tokens}.
     *
     * @return the adapter
     */
    public static ProviderAdapter openai() {
        return OPENAI;
    }

    /**
     * Anthropic: {@code anthropic-ratelimit-requests|tokens|input-tokens|output-tokens-limit|remaining|reset}
     * with resets as RFC 3339 times; 529 (overloaded) is transient; tokens from
     * {@code usage.input_tokens + output_tokens}.
     *
     * @return the adapter
     */
    public static ProviderAdapter anthropic() {
        return ANTHROPIC;
    }

    /**
     * Google Gemini: a 429 / {@code RESOURCE_EXHAUSTED} with {@code google.rpc.RetryInfo}
     * {@code retryDelay} and the refusing quota in {@code google.rpc.QuotaFailure} (its
     * {@code quotaId}, and its {@code quotaValue} as the limit); {@code API_KEY_INVALID} is
     * {@code AUTH_FAILED}; tokens from {@code usageMetadata.totalTokenCount}.
     *
     * @return the adapter
     */
    public static ProviderAdapter gemini() {
        return GEMINI;
    }

    /**
     * Any HTTP service: the status and {@code retry-after-ms} / {@code Retry-After} only.
     *
     * @return the adapter
     */
    public static ProviderAdapter generic() {
        return GENERIC;
    }
}
