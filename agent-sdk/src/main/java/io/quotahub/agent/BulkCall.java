package io.quotahub.agent;

import java.time.Duration;

/**
 * The work {@link Bulk#run(BulkCall)} does for one item under one lease: call the provider with
 * {@code lease.apiKey()} and return its answer, which the pool's adapter reads to settle the lease
 * (as {@link QuotaClient#call(String, long, Duration, ProviderCall)} does).
 *
 * @param <I> the items' type
 * @param <R> what one call returns
 */
@FunctionalInterface
public interface BulkCall<I, R> {

    /**
     * Processes {@code item} under {@code lease}.
     *
     * @param item  the item
     * @param lease its lease
     * @return the provider's answer (a {@code java.net.http.HttpResponse} is read by the pool's adapter)
     * @throws Exception if the call failed: the item is reported failed and the lease settled
     *                   {@code failed} with the exception's class name
     */
    R call(I item, Lease lease) throws Exception;
}
