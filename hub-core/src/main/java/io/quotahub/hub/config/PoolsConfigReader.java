package io.quotahub.hub.config;

import io.quotahub.engine.KeySpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.hub.config.pools.KeySettings;
import io.quotahub.hub.config.pools.PoolSettings;
import io.quotahub.hub.config.pools.PoolsBinder;
import io.quotahub.hub.config.pools.PoolsSettings;
import io.quotahub.hub.config.pools.SecretSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns the typed pools ({@link PoolsSettings}, bound by {@link PoolsBinder}) into what the hub
 * serves: engine specs and the keys' secrets, read now.
 *
 * <p>A structural error (a limit without a count, a bad duration) is the binder's: it fails
 * start-up with a message naming the field. A key whose secret cannot be read is reported and
 * left out; the hub still starts. Secrets are never part of a message.
 */
public final class PoolsConfigReader {

    private final Function<String, String> env;

    /** @param env environment lookup (System::getenv in production) */
    public PoolsConfigReader(Function<String, String> env) {
        this.env = env;
    }

    /**
     * Binds and reads the raw {@code quotahub.pools} tree.
     *
     * @throws ConfigException naming the path of the first bad value
     */
    public PoolsConfig read(Map<String, Object> rawPools) {
        return read(PoolsBinder.bind(rawPools));
    }

    /** Reads the secrets of bound pools and maps them onto engine specs. */
    public PoolsConfig read(PoolsSettings settings) {
        List<PoolSpec> pools = new ArrayList<>();
        Map<KeyRef, Secret> secrets = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Set<String> unusable = new HashSet<>();
        if (settings.pools().isEmpty()) {
            problems.add("no pools configured under " + PoolsBinder.PREFIX + ": every acquire will be refused");
        }
        for (PoolSettings pool : settings.pools()) {
            List<KeySpec> keys = new ArrayList<>();
            for (KeySettings key : pool.keys()) {
                SecretSource.Outcome secret = key.secret().read(env);
                if (secret instanceof SecretSource.Read read) {
                    secrets.put(new KeyRef(pool.name(), key.id()), new Secret(read.value()));
                    keys.add(key.spec());
                } else if (secret instanceof SecretSource.Unreadable no) {
                    problems.add("key " + key.id() + " of pool " + pool.name() + " is not used: " + no.problem());
                }
            }
            if (keys.isEmpty()) {
                unusable.add(pool.name());
                problems.add("pool " + pool.name() + " has no usable key: its acquires are refused");
            }
            pools.add(pool.spec(keys));
        }
        return new PoolsConfig(pools, secrets, problems, unusable);
    }
}
