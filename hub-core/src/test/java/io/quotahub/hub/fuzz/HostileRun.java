package io.quotahub.hub.fuzz;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.PoolView;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The frame of every hostile batch: valid traffic first (which must change the engine's state, so
 * that the comparison can fail at all), then the batch, then the claim that the state is what the
 * valid traffic left and that the hub still serves.
 */
final class HostileRun {

    private final FuzzHub hub;
    private final HonestAgent honest;

    HostileRun(FuzzHub hub, HonestAgent honest) {
        this.hub = hub;
        this.honest = honest;
    }

    /**
     * Repairs what an earlier failing batch may have broken (a key cooled down or disabled by a
     * forged settle), runs one step of valid traffic and returns the state to compare against.
     */
    EngineState validTrafficThenState() {
        repairKeys();
        honest.ensureOpen();
        EngineState beforeValid = EngineState.of(hub.engine());
        honest.step();
        EngineState afterValid = EngineState.of(hub.engine());
        assertThat(afterValid).as("valid traffic changes the engine's state").isNotEqualTo(beforeValid);
        return afterValid;
    }

    void assertUnchangedSince(EngineState before, Object batch) {
        EngineState after = EngineState.of(hub.engine());
        assertThat(after).as("engine state after the hostile batch %s", batch).isEqualTo(before);
        hub.assertStillServing();
    }

    private void repairKeys() {
        for (PoolView pool : hub.engine().view().pools()) {
            for (KeyView key : pool.keys()) {
                if (key.disabled() || key.cooldownUntil() != null || key.circuit() != CircuitState.CLOSED) {
                    hub.engine().resetKey(pool.name(), key.id());
                }
            }
        }
    }
}
