package io.quotahub.chaos.provider;

import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.hub.config.ConfigException;
import io.quotahub.hub.config.pools.KeySettings;
import io.quotahub.hub.config.pools.PoolSettings;
import io.quotahub.hub.config.pools.PoolsBinder;
import io.quotahub.hub.config.pools.PoolsSettings;
import io.quotahub.hub.config.pools.SecretSource;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the keys and their limits from a hub config file ({@code quotahub.pools.<pool>.keys}),
 * with each key's secret from its {@code secret-env} variable or {@code secret-file}. The pools
 * are bound by the hub's own binder ({@link PoolsBinder}), so the simulator accepts and refuses
 * exactly what the hubs do; a key whose secret cannot be read is reported (by id) and skipped,
 * like the hub does.
 */
public final class HubConfigKeys {

    private HubConfigKeys() {
    }

    /** Keys of every pool in the file, secrets read from the process environment. */
    public static List<ProviderKey> load(Path file, Consumer<String> warnings) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(new Yaml(new SafeConstructor(new LoaderOptions())).load(r), System::getenv, warnings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config " + file, e);
        }
    }

    /**
     * @param yaml the loaded YAML document
     * @param env  looks up environment variables
     * @throws IllegalArgumentException if the document has no pools or a value is malformed (the
     *                                  message names its path, as the hub's start-up error does)
     */
    public static List<ProviderKey> parse(Object yaml, Function<String, String> env, Consumer<String> warnings) {
        Map<?, ?> pools = map(map(yaml, "the document").get("quotahub"), "quotahub").get("pools") instanceof Map<?, ?> p
                ? p : null;
        if (pools == null || pools.isEmpty()) {
            throw new IllegalArgumentException("config has no " + PoolsBinder.PREFIX);
        }
        PoolsSettings settings;
        try {
            settings = PoolsBinder.bind(pools);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        List<ProviderKey> keys = new ArrayList<>();
        for (PoolSettings pool : settings.pools()) {
            for (KeySettings key : pool.keys()) {
                SecretSource.Outcome secret = key.secret().read(env);
                if (secret instanceof SecretSource.Read read) {
                    // a limit in shadow or canary mode is the operator's policy under watch, not the provider's
                    keys.add(new ProviderKey(key.id(), read.value(), key.limits().stream()
                            .filter(l -> l.enforcement().enforcesAll()).map(HubConfigKeys::limit).toList()));
                } else if (secret instanceof SecretSource.Unreadable no) {
                    warnings.accept("key " + key.id() + " of pool " + pool.name() + ": " + no.problem() + "; key skipped");
                }
            }
        }
        return keys;
    }

    /** The simulator counts a calendar-day limit as a sliding day (its windows are all sliding). */
    private static Limit limit(LimitSpec spec) {
        return new Limit(spec.kind() == LimitKind.REQUESTS ? Limit.Kind.REQUESTS : Limit.Kind.TOKENS, spec.capacity(), spec.per());
    }

    private static Map<?, ?> map(Object o, String where) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException(where + " must be a mapping");
    }
}
