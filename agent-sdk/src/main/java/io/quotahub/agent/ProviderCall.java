package io.quotahub.agent;

/**
 * The provider call that {@link QuotaClient#call(String, long, java.time.Duration, ProviderCall)}
 * makes with a lease, e.g. {@code lease -> http.send(request(lease.apiKey()), BodyHandlers.ofString())}.
 * It must not settle the lease: the client does, from what the call returned or threw.
 *
 * @param <T> what the call returns
 * @param <E> the checked exception it may throw ({@code RuntimeException} for none)
 */
@FunctionalInterface
public interface ProviderCall<T, E extends Exception> {

    /**
     * Calls the provider with {@code lease.apiKey()}.
     *
     * @param lease the lease to call with
     * @return the provider's answer
     * @throws E if the call failed
     */
    T call(Lease lease) throws E;
}
