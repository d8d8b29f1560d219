package io.quotahub.engine;

/** The engine's answer to an acquire: a value, never an exception, on the hot path. */
public sealed interface Decision permits Decision.Admitted, Decision.Denied {

    /**
     * The request fits: the engine counts {@code lease} from now on (the hub grants it once its ledger holds it).
     *
     * @param shadow what enforcement would have answered instead, when a pool or limit in shadow
     *               (or canary) mode let this lease through; null when nothing would have refused it
     */
    record Admitted(LeaseRecord lease, Refusal shadow) implements Decision {

        public Admitted(LeaseRecord lease) {
            this(lease, null);
        }
    }

    /** No room: why, and when to retry. */
    record Denied(Refusal refusal) implements Decision {
    }
}
