package io.quotahub.engine;

/** The engine's answer to an acquire: a value, never an exception, on the hot path. */
public sealed interface Decision permits Decision.Admitted, Decision.Denied {

    /** The request fits: the engine counts {@code lease} from now on (the hub grants it once its ledger holds it). */
    record Admitted(LeaseRecord lease) implements Decision {
    }

    /** No room: why, and when to retry. */
    record Denied(Refusal refusal) implements Decision {
    }
}
