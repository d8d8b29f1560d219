package io.quotahub.engine;

/** The engine's answer to an acquire: a value, never an exception, on the hot path. */
public sealed interface Decision permits Decision.Granted, Decision.Denied {

    record Granted(Lease lease) implements Decision {
    }

    record Denied(Refusal refusal) implements Decision {
    }
}
