package io.quotahub.engine.internal;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Settlement;
import io.quotahub.engine.Zone;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Listener calls collected under a pool's lock and fired after it is released. */
final class Events {

    private final EngineListener listener;
    private List<Runnable> pending;

    Events(EngineListener listener) {
        this.listener = listener;
    }

    private void add(Runnable r) {
        if (pending == null) {
            pending = new ArrayList<>(2);
        }
        pending.add(r);
    }

    void granted(LeaseRecord lease) {
        add(() -> listener.onGranted(lease));
    }

    void settled(LeaseRecord lease, Settlement s) {
        add(() -> listener.onSettled(lease, s));
    }

    /** Records a zone change; {@code from} null means no change. */
    void zone(String pool, String keyId, Zone from, Zone to) {
        if (from != null && from != to) {
            add(() -> listener.onZoneChanged(pool, keyId, from, to));
        }
    }

    void circuit(String pool, String keyId, CircuitState from, CircuitState to) {
        add(() -> listener.onCircuitChanged(pool, keyId, from, to));
    }

    void cooldown(LeaseRecord lease, long millis) {
        Duration cooldown = Duration.ofMillis(millis);
        add(() -> listener.onCooldownApplied(lease, cooldown));
    }

    void disabled(String pool, String keyId) {
        add(() -> listener.onKeyDisabled(pool, keyId));
    }

    void fire() {
        if (pending != null) {
            for (Runnable r : pending) {
                r.run();
            }
            pending = null;
        }
    }
}
