package io.quotahub.hub.service;

import io.quotahub.engine.Lease;
import io.quotahub.engine.Refusal;
import io.quotahub.hub.config.Secret;

/** What the hub answers to an acquire, whatever the transport. */
public sealed interface AcquireOutcome {

    /** A durable lease and the key's secret for the agent. */
    record Granted(Lease lease, Secret secret) implements AcquireOutcome {
    }

    /** No room now: why, and when to retry. */
    record Refused(Refusal refusal) implements AcquireOutcome {
    }

    /** Bad input or an unavailable hub: nothing was granted. */
    record Failed(ErrorCode code, String message) implements AcquireOutcome {
    }
}
