package io.quotahub.engine;

import java.time.Duration;

/**
 * Observes the engine (metrics, logs). Called on the deciding thread: keep it cheap.
 * Every method defaults to a no-op.
 */
public interface EngineListener {

    EngineListener NONE = new EngineListener() { };

    default void onGranted(LeaseRecord lease) { }

    default void onRefused(String pool, Refusal refusal) { }

    default void onSettled(LeaseRecord lease, Settlement settlement) { }

    default void onZoneChanged(String pool, String keyId, Zone from, Zone to) { }

    default void onCircuitChanged(String pool, String keyId, CircuitState from, CircuitState to) { }

    default void onKeyDisabled(String pool, String keyId) { }

    /**
     * A 429 settled for {@code lease} cooled its key down for {@code cooldown} from the settle's time
     * (a Retry-After, clamped, or the learned ladder's step); called after {@link #onSettled}'s
     * state change, on replay too.
     */
    default void onCooldownApplied(LeaseRecord lease, Duration cooldown) { }
}
