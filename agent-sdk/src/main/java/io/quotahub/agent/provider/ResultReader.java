package io.quotahub.agent.provider;

import java.time.Instant;

/**
 * Reads what a provider call returned ({@code QuotaClient.call}'s result), e.g. an
 * {@code HttpResponse} through {@link ProviderAdapter#forHttpResponses()}, or a provider SDK's own
 * response object through a lambda of the caller's.
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
}
