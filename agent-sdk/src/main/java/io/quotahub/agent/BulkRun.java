package io.quotahub.agent;

import java.util.concurrent.CompletableFuture;

/**
 * A bulk run in progress ({@link Bulk#start(BulkCall)}).
 *
 * @param <I> the items' type
 * @param <R> what one call returns
 */
public interface BulkRun<I, R> {

    /**
     * Where the run stands now.
     *
     * @return a snapshot of the counts
     */
    BulkProgress progress();

    /**
     * Stops taking items from the source. Calls already running finish; an item still waiting for a
     * lease ends when its acquire answers: {@link BulkItem.Status#CANCELLED} if a lease was granted
     * (it is given back unused), {@link BulkItem.Status#FAILED} if none was. Idempotent.
     */
    void cancel();

    /**
     * The result, once every item taken has ended.
     *
     * @return a future of the result; it never fails (failures are in the items)
     */
    CompletableFuture<BulkResult<I, R>> result();

    /**
     * Waits for the result.
     *
     * @return the result
     * @throws QuotaHubException with code {@code INTERRUPTED} if the thread was interrupted (the run
     *                           goes on; cancel it if that is meant)
     */
    BulkResult<I, R> await();
}
