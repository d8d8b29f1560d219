package io.quotahub.hub.service;

import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.engine.LeaseRecord;
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
    record Leased(LeaseRecord lease, Secret secret, LeaseSecret leaseSecret, String notice) implements AcquireOutcome {

        public Leased {
            notice = notice == null ? "" : notice;
        }

        /** A grant rebuilt from the ledger: no lease secret, no notice. */
        public Leased(LeaseRecord lease, Secret secret) {
            this(lease, secret, null, "");
        }
    }

    /** No room now: why, and when to retry. @param notice as {@link Leased#notice()} */
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
     * after {@code retryAfter}, here or on the other hub. Answered like a shed acquire, with the
     * refusal code {@value #CODE}: a refusal the hub makes itself, so it has no engine
     * {@link io.quotahub.engine.RefusalCode}.
     */
    record Overloaded(String pool, String reason, Duration retryAfter) implements AcquireOutcome {

        /** The refusal code of an overloaded (or shed) acquire, on NATS and in the HTTP API. */
        public static final String CODE = "OVERLOADED";
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
