package io.quotahub.hub.service;

import io.quotahub.hub.metrics.RejectReason;
/** What the hub answers to a settle. */
public sealed interface SettleOutcome {

    /** @param firstTime false when the lease had been settled before (an idempotent retry) */
    record Settled(boolean firstTime) implements SettleOutcome {
    }

    /** @param reason as {@link AcquireOutcome.Failed#reason()} */
    record Failed(ErrorCode code, String message, RejectReason reason) implements SettleOutcome {

        public Failed(ErrorCode code, String message) {
            this(code, message, code.rejectReason());
        }
    }
}
