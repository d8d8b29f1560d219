package io.quotahub.agent;

import java.util.Optional;

/**
 * What became of one item of a bulk run.
 *
 * @param index   the item's position in the source, from 0
 * @param item    the item
 * @param status  how it ended
 * @param value   what its call returned (null unless {@link Status#SUCCEEDED})
 * @param failure why it failed or was cancelled (null when it succeeded)
 * @param <I>     the items' type
 * @param <R>     what one call returns
 */
public record BulkItem<I, R>(long index, I item, Status status, R value, Throwable failure) {

    /** How an item ended. */
    public enum Status {
        /** Its call returned (also with a 429 or 5xx answer: the value is the provider's answer). */
        SUCCEEDED,
        /** No lease within {@code maxWait}, a hub error, or the call threw. */
        FAILED,
        /** The run stopped (cancelled or too many failures) before its call started. */
        CANCELLED
    }

    /**
     * True when the item's call returned.
     *
     * @return whether it succeeded
     */
    public boolean succeeded() {
        return status == Status.SUCCEEDED;
    }

    /**
     * Why the item failed or was cancelled.
     *
     * @return the failure, empty when it succeeded
     */
    public Optional<Throwable> failureCause() {
        return Optional.ofNullable(failure);
    }

    @Override
    public String toString() {
        return "BulkItem[" + index + " " + status + (failure == null ? "" : " " + failure.getClass().getName()) + "]";
    }
}
