package io.quotahub.hub.service;

import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.engine.Lease;
import io.quotahub.engine.Refusal;
import io.quotahub.hub.config.Secret;

import java.time.Duration;

/** What the hub answers to an acquire, whatever the transport. */
public sealed interface AcquireOutcome {

    /**
     * A durable lease and the key's secret for the agent.
     *
     * @param leaseSecret the holder's proof, for the reply only; null for a grant rebuilt from the
     *                    ledger (a restart, or the peer's grant), whose secret this hub never had
     * @param notice      how the request was taken, e.g. HIGH treated as NORMAL; "" when nothing
     */
    record Granted(Lease lease, Secret secret, LeaseSecret leaseSecret, String notice) implements AcquireOutcome {

        public Granted {
            notice = notice == null ? "" : notice;
        }

        /** A grant rebuilt from the ledger: no lease secret, no notice. */
        public Granted(Lease lease, Secret secret) {
            this(lease, secret, null, "");
        }
    }

    /** No room now: why, and when to retry. @param notice as {@link Granted#notice()} */
    record Refused(Refusal refusal, String notice) implements AcquireOutcome {

        public Refused {
            notice = notice == null ? "" : notice;
        }

        public Refused(Refusal refusal) {
            this(refusal, "");
        }
    }

    /**
     * The hub cannot take more requests now (its request index is full): nothing was decided; retry
     * after {@code retryAfter}, here or on the other hub. Answered like a shed acquire (OVERLOADED).
     */
    record Overloaded(String pool, String reason, Duration retryAfter) implements AcquireOutcome {
    }

    /**
     * Bad input or an unavailable hub: nothing was granted.
     *
     * @param reason why it counts as a rejected request; null when it is none (the hub is not
     *               ready, the pool is unknown, …)
     */
    record Failed(ErrorCode code, String message, RejectReason reason) implements AcquireOutcome {

        public Failed(ErrorCode code, String message) {
            this(code, message, code.rejectReason());
        }
    }
}
