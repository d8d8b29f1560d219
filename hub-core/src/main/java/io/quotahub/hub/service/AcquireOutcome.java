package io.quotahub.hub.service;

import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Refusal;
import io.quotahub.hub.config.Secret;

import java.time.Duration;
import java.util.List;

/** What the hub answers to an acquire, whatever the transport. */
public sealed interface AcquireOutcome {

    /**
     * A durable lease and the key's secret for the agent.
     *
     * @param leaseSecret the holder's proof, for the reply only; null for a grant rebuilt from the
     *                    ledger (a restart, or the peer's grant), whose secret this hub never had
     * @param notice      how the request was taken, e.g. HIGH treated as NORMAL; "" when nothing
     * @param passedOver  the refusals of the pools tried before the lease's (the pool asked for, and
     *                    fallbacks before it) when a fallback pool granted it; empty otherwise
     * @param shadow      what enforcement would have said of this grant in a pool or limit in shadow
     *                    or canary mode, or null when nothing would have refused it
     */
    record Leased(LeaseRecord lease, Secret secret, LeaseSecret leaseSecret, String notice, List<Refusal> passedOver,
                  Refusal shadow) implements AcquireOutcome {

        public Leased {
            notice = notice == null ? "" : notice;
            passedOver = List.copyOf(passedOver == null ? List.of() : passedOver);
        }

        /** A lease from the pool asked for. */
        public Leased(LeaseRecord lease, Secret secret, LeaseSecret leaseSecret, String notice) {
            this(lease, secret, leaseSecret, notice, List.of(), null);
        }

        /** The pool asked for when a fallback pool granted the lease; else the lease's own pool. */
        public String requestedPool() {
            return passedOver.isEmpty() ? lease.pool() : passedOver.get(0).pool();
        }

        /** A grant rebuilt from the ledger: no lease secret, no notice. */
        public Leased(LeaseRecord lease, Secret secret) {
            this(lease, secret, null, "");
        }
    }

    /**
     * No room now: why, and when to retry.
     *
     * @param refusal the refusal that frees up first of every pool tried (with one pool, its refusal)
     * @param notice  as {@link Leased#notice()}
     * @param tried   with fallback pools: every pool tried, in the order tried, with its refusal (the
     *                pool asked for first); empty when only the pool asked for was tried
     */
    record Refused(Refusal refusal, String notice, List<Refusal> tried) implements AcquireOutcome {

        public Refused {
            notice = notice == null ? "" : notice;
            tried = List.copyOf(tried == null ? List.of() : tried);
        }

        public Refused(Refusal refusal, String notice) {
            this(refusal, notice, List.of());
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
