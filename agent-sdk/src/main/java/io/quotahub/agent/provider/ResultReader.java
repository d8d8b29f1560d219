package io.quotahub.agent.provider;

import java.time.Instant;
import java.util.Optional;

/**
 * Reads what a provider call returned ({@code QuotaClient.call}'s result), e.g. an
 * {@code HttpResponse} through {@link ProviderAdapter#forHttpResponses()}, or a provider SDK's own
 * response object through a lambda of the caller's. Provider SDKs that throw on a 429 or a 5xx
 * (their exceptions carry the status and headers) are read by {@link #readFailure}.
 *
 * @param <T> the call's result type
 */
@FunctionalInterface
public interface ResultReader<T> {

    /**
     * Reads one result.
     *
     * @param result     what the call returned
     * @param receivedAt when it arrived (the client's clock)
     * @return what the provider said
     */
    ProviderReading read(T result, Instant receivedAt);

    /**
     * Reads a call that threw. Default: nothing read, and the call settles {@code failed} with the
     * exception's class name. Override it for a provider SDK whose exceptions carry the answer, e.g.
     * {@code thrown instanceof SomeSdkServiceException e ? Optional.of(Providers.openai().read(e.statusCode(),
     * headersOf(e), "", receivedAt)) : Optional.empty()}; the call then settles, and retries, as
     * the reading says, and the exception is still rethrown to the caller.
     *
     * @param thrown     what the call threw
     * @param receivedAt when it failed (the client's clock)
     * @return what the provider said, or empty
     */
    default Optional<ProviderReading> readFailure(Throwable thrown, Instant receivedAt) {
        return Optional.empty();
    }
}
