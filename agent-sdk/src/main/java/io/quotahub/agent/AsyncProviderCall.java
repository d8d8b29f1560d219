package io.quotahub.agent;

import java.util.concurrent.CompletableFuture;

/**
 * The provider call that {@link QuotaClient#callAsync(String, long, java.time.Duration, AsyncProviderCall)}
 * makes with a lease, e.g. {@code lease -> http.sendAsync(request(lease.apiKey()), BodyHandlers.ofString())}.
 * It must not settle the lease: the client does, from what the future completes with.
 *
 * @param <T> what the call's future completes with
 */
@FunctionalInterface
public interface AsyncProviderCall<T> {

    /**
     * Starts the call to the provider with {@code lease.apiKey()}.
     *
     * @param lease the lease to call with
     * @return the provider's answer to come (completed exceptionally if the call failed), never null
     */
    CompletableFuture<T> call(Lease lease);
}
