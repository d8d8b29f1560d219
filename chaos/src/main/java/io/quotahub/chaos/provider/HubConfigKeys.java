package io.quotahub.chaos.provider;

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
 * with each key's secret from its {@code secret-env} variable or {@code secret-file}. A key whose
 * secret cannot be read is reported (by id) and skipped, like the hub does.
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
     * @throws IllegalArgumentException if the document has no pools or a limit is malformed
     */
    public static List<ProviderKey> parse(Object yaml, Function<String, String> env, Consumer<String> warnings) {
        Map<?, ?> pools = map(map(yaml, "the document").get("quotahub"), "quotahub").get("pools") instanceof Map<?, ?> p
                ? p : null;
        if (pools == null || pools.isEmpty()) {
            throw new IllegalArgumentException("config has no quotahub.pools");
        }
        List<ProviderKey> keys = new ArrayList<>();
        for (Map.Entry<?, ?> pool : pools.entrySet()) {
            String where = "quotahub.pools." + pool.getKey();
            Object keyList = map(pool.getValue(), where).get("keys");
            if (!(keyList instanceof List<?> list)) {
                throw new IllegalArgumentException(where + ".keys must be a list");
            }
            for (int i = 0; i < list.size(); i++) {
                String kw = where + ".keys[" + i + "]";
                Map<?, ?> k = map(list.get(i), kw);
                Object id = k.get("id");
                if (id == null || id.toString().isBlank()) {
                    throw new IllegalArgumentException(kw + ".id is missing");
                }
                List<Limit> limits = limits(k.get("limits"), kw + ".limits");
                String secret = secret(k, env, kw + " (" + id + ")", warnings);
                if (secret != null) {
                    keys.add(new ProviderKey(id.toString(), secret, limits));
                }
            }
        }
        return keys;
    }

    private static String secret(Map<?, ?> k, Function<String, String> env, String where, Consumer<String> warnings) {
        Object envName = k.get("secret-env");
        Object file = k.get("secret-file");
        if (envName != null) {
            String v = env.apply(envName.toString());
            if (v == null || v.isBlank()) {
                warnings.accept("key " + where + ": environment variable " + envName + " is not set; key skipped");
                return null;
            }
            return v.trim();
        }
        if (file != null) {
            try {
                String v = Files.readString(Path.of(file.toString()), StandardCharsets.UTF_8).trim();
                if (v.isEmpty()) {
                    warnings.accept("key " + where + ": secret file " + file + " is empty; key skipped");
                    return null;
                }
                return v;
            } catch (IOException e) {
                warnings.accept("key " + where + ": cannot read secret file " + file + "; key skipped");
                return null;
            }
        }
        warnings.accept("key " + where + ": neither secret-env nor secret-file is set; key skipped");
        return null;
    }

    private static List<Limit> limits(Object o, String where) {
        List<Limit> out = new ArrayList<>();
        if (o == null) {
            return out;
        }
        if (!(o instanceof List<?> list)) {
            throw new IllegalArgumentException(where + " must be a list");
        }
        for (int i = 0; i < list.size(); i++) {
            String lw = where + "[" + i + "]";
            Map<?, ?> m = map(list.get(i), lw);
            Object per = m.get("per");
            if (per == null) {
                throw new IllegalArgumentException(lw + ".per is missing");
            }
            Limit.Kind kind;
            Object amount;
            if (m.containsKey("requests")) {
                kind = Limit.Kind.REQUESTS;
                amount = m.get("requests");
            } else if (m.containsKey("tokens")) {
                kind = Limit.Kind.TOKENS;
                amount = m.get("tokens");
            } else {
                throw new IllegalArgumentException(lw + " needs 'requests' or 'tokens'");
            }
            long n;
            try {
                n = Long.parseLong(String.valueOf(amount).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(lw + ": '" + amount + "' is not a whole number");
            }
            try {
                out.add(new Limit(kind, n, Durations.parse(per.toString())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(lw + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static Map<?, ?> map(Object o, String where) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException(where + " must be a mapping");
    }
}
