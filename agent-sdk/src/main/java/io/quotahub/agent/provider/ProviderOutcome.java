package io.quotahub.agent.provider;

/** How a provider answered a call, as a {@link ProviderAdapter} classifies it. */
public enum ProviderOutcome {
    /** The call succeeded (2xx). */
    OK,
    /** The provider refused for a rate limit (429): the key cools down. */
    RATE_LIMITED,
    /**
     * The key itself is unusable until someone acts (401, 403, OpenAI's {@code insufficient_quota},
     * Gemini's {@code API_KEY_INVALID}).
     */
    AUTH_FAILED,
    /** Any other failure; {@link ProviderReading#transientError()} says whether a retry may succeed. */
    ERROR
}
