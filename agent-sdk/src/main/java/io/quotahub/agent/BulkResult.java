package io.quotahub.agent;

import java.util.List;
import java.util.Optional;

/**
 * The end of a bulk run. Every item taken from the source has exactly one {@link BulkItem}; the
 * items never taken (the run stopped first) are still in the source: an {@code Iterator} given to
 * {@link QuotaClient#bulk(String, Iterable)} resumes at the first of them.
 *
 * @param items         one result per item taken, in input order; empty when the results went to a sink
 *                      ({@link Bulk#start(BulkCall, java.util.function.Consumer)})
 * @param progress      the final counts
 * @param stop          why the run ended
 * @param sourceFailure what the source threw, when {@code stop} is {@link Stop#SOURCE_FAILED}
 * @param <I>           the items' type
 * @param <R>           what one call returns
 */
public record BulkResult<I, R>(List<BulkItem<I, R>> items, BulkProgress progress, Stop stop, Throwable sourceFailure) {

    /** Why a run ended. */
    public enum Stop {
        /** Every item of the source was processed. */
        COMPLETED,
        /** {@link BulkRun#cancel()} was called. */
        CANCELLED,
        /** {@link Bulk#stopAfterFailures(int)} failures were reached. */
        TOO_MANY_FAILURES,
        /** Reading the next item threw. */
        SOURCE_FAILED
    }

    public BulkResult {
        items = List.copyOf(items);
    }

    /**
     * The failure that stopped the source, if it did.
     *
     * @return what the source threw
     */
    public Optional<Throwable> sourceFailureCause() {
        return Optional.ofNullable(sourceFailure);
    }

    /**
     * True when every item of the source succeeded.
     *
     * @return whether all went well
     */
    public boolean allSucceeded() {
        return stop == Stop.COMPLETED && progress.failed() == 0 && progress.cancelled() == 0;
    }
}
