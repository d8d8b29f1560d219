package io.quotahub.hub.config;

import io.quotahub.hub.config.pools.PoolsSettings;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The pools a hub serves now: the typed settings (where each secret comes from) and what was read
 * from them (engine specs, secrets). Replaced whole by a reload, a key's secret alone by a rotation;
 * a new lease takes the secret current when it is granted, an open lease keeps the one it got.
 */
public final class LivePools {

    /** What is served now: the pools read, and the settings they were read from. */
    public record Current(PoolsConfig config, PoolsSettings settings) {
        public Current {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(settings, "settings");
        }
    }

    private volatile Current current;

    public LivePools(PoolsConfig config, PoolsSettings settings) {
        this.current = new Current(config, settings);
    }

    /** Pools built in code, with no settings to reload from (tests, simulations). */
    public static LivePools of(PoolsConfig config) {
        return new LivePools(config, new PoolsSettings(List.of()));
    }

    public Current current() {
        return current;
    }

    public PoolsConfig config() {
        return current.config();
    }

    /** The secret a new lease of this key gets; null for a key not served (or no longer). */
    public Secret secret(KeyRef key) {
        return current.config().secrets().get(key);
    }

    /**
     * A reload: from now on {@code next} is served. Secrets of keys it no longer has stay known
     * (a lease granted on such a key just before the engine switched still gets its secret).
     */
    public synchronized void replace(PoolsConfig next, PoolsSettings settings) {
        Map<KeyRef, Secret> secrets = new HashMap<>(current.config().secrets());
        secrets.putAll(next.secrets());
        current = new Current(new PoolsConfig(next.pools(), secrets, next.problems(), next.unusablePools()), settings);
    }

    /** A rotation: new leases of {@code key} get {@code secret}. */
    public synchronized void rotate(KeyRef key, Secret secret) {
        PoolsConfig c = current.config();
        Map<KeyRef, Secret> secrets = new HashMap<>(c.secrets());
        secrets.put(key, secret);
        current = new Current(new PoolsConfig(c.pools(), secrets, c.problems(), c.unusablePools()), current.settings());
    }
}
