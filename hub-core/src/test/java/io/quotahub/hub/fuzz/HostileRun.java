package io.quotahub.hub.fuzz;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The frame of every hostile batch: valid traffic first (which must change the engine's state, so
 * that the comparison can fail at all), then the batch, then the claim that the state is what the
 * valid traffic left and that the hub still serves.
 *
 * <p>A batch that breaks the claim may leave damage behind (a window filled by a settle of
 * billions of tokens, a key cooled down for years). Before each batch the run starts a fresh hub
 * if it finds any, so that each batch, and each of jqwik's attempts to shrink a failing one,
 * starts from a healthy hub and a failure is not blamed on the batch after it.
 */
final class HostileRun implements AutoCloseable {

    private FuzzHub hub;
    private HonestAgent honest;

    HostileRun() {
        start();
    }

    private void start() {
        hub = FuzzHub.start();
        honest = new HonestAgent(hub);
    }

    FuzzHub hub() {
        return hub;
    }

    HonestAgent honest() {
        return honest;
    }

    /** Makes the hub healthy, runs one step of valid traffic and returns the state to compare against. */
    EngineState validTrafficThenState() {
        if (damaged()) {
            hub.close();
            start();
        }
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

    /**
     * Whether an earlier batch left what valid traffic never does: a window filled beyond the tiny
     * share honest traffic uses, a key cooling down, blocked or disabled, or a hub not ready.
     */
    private boolean damaged() {
        if (!hub.runtime().ready()) {
            return true;
        }
        for (PoolView pool : hub.engine().view().pools()) {
            for (KeyView key : pool.keys()) {
                if (key.disabled() || key.cooldownUntil() != null || key.circuit() != CircuitState.CLOSED) {
                    return true;
                }
            }
        }
        return hub.engine().view().pools().stream()
                .flatMap(p -> Stream.concat(p.limits().stream(), p.keys().stream().flatMap(k -> k.limits().stream())))
                .anyMatch((LimitView l) -> l.used() > l.capacity() / 100);
    }

    @Override
    public void close() {
        hub.close();
    }
}
