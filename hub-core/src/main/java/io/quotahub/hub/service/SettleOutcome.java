package io.quotahub.hub.service;

/** What the hub answers to a settle. */
public sealed interface SettleOutcome {

    /** @param firstTime false when the lease had been settled before (an idempotent retry) */
    record Settled(boolean firstTime) implements SettleOutcome {
    }

    record Failed(ErrorCode code, String message) implements SettleOutcome {
    }
}
