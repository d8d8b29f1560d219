package io.quotahub.hub.diagnostics;

import io.micronaut.context.env.Environment;
import io.micronaut.core.type.Argument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where each configured key says its secret comes from ({@code secret-file} / {@code secret-env}),
 * read from the raw {@code quotahub.pools} tree: the parsed {@code PoolsConfig} keeps only the
 * secrets themselves. Tolerates anything malformed (the reader already reported it).
 */
final class ConfiguredKeys {

    record Source(String pool, String keyId, String secretFile, String secretEnv) {
    }

    private ConfiguredKeys() {
    }

    static List<Source> read(Environment environment) {
        Map<String, Object> raw = environment.getProperty("quotahub.pools", Argument.mapOf(String.class, Object.class)).orElse(Map.of());
        List<Source> out = new ArrayList<>();
        for (Map.Entry<String, Object> pool : raw.entrySet()) {
            if (!(pool.getValue() instanceof Map<?, ?> p)) {
                continue;
            }
            for (Object k : list(p.get("keys"))) {
                if (k instanceof Map<?, ?> key) {
                    out.add(new Source(pool.getKey(), text(key.get("id")), text(key.get("secret-file")), text(key.get("secret-env"))));
                }
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object raw) {
        if (raw instanceof List<?> l) {
            return (List<Object>) l;
        }
        if (raw instanceof Map<?, ?> m && !m.isEmpty() && m.keySet().stream().allMatch(k -> k.toString().matches("\\d+"))) {
            return new ArrayList<>(new TreeMap<>((Map<String, Object>) m).values());
        }
        return List.of();
    }

    private static String text(Object o) {
        return o == null ? null : o.toString().trim();
    }
}
