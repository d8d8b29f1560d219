package io.quotahub.agent.provider;

/** Which of a provider's limits a {@link ProviderLimit} describes. */
public enum LimitKind {
    /** Requests per window (OpenAI {@code x-ratelimit-*-requests}, Anthropic {@code -requests-}). */
    REQUESTS,
    /** Tokens per window, input and output together. */
    TOKENS,
    /** Input (prompt) tokens per window (Anthropic, Gemini). */
    INPUT_TOKENS,
    /** Output (completion) tokens per window (Anthropic). */
    OUTPUT_TOKENS
}
