package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.context.annotation.Parameter;
import io.micronaut.core.naming.NameUtils;
import io.quotahub.hub.config.pools.PoolsBinder;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every setting a hub accepts under {@code quotahub.}: the components of the bound settings records
 * (each under its prefix) and the keys of a pool ({@code pools.<name>.…}, declared by the pools'
 * one binder, {@link PoolsBinder#keys()}). A start-up check holds every {@code quotahub.} property
 * against them, so a misspelt key stops the hub naming the key and the nearest valid one instead of being
 * silently ignored ({@code max-concurent:} would mean unlimited concurrency).
 *
 * <p>Keys are compared in a normal form: kebab-case, a pool's name as {@code *}, a list index as
 * {@code []}, the hub ids of {@code initial-split} as {@code *}.
 */
public final class ConfigKeys {

    /** The root prefix; every key here is relative to it. */
    public static final String PREFIX = "quotahub.";

    private final Set<String> valid = new TreeSet<>(PoolsBinder.keys());

    private ConfigKeys() {
    }

    /**
     * The keys of the pools and of {@code records}.
     *
     * @param records each settings record by its prefix under {@code quotahub.} ("" for the root; a
     *                list of entries as {@code security.tokens[]})
     */
    public static ConfigKeys of(Map<String, Class<?>> records) {
        ConfigKeys keys = new ConfigKeys();
        records.forEach((prefix, type) -> keys.addRecord(prefix.isEmpty() ? "" : prefix + ".", type));
        return keys;
    }

    private void addRecord(String prefix, Class<?> type) {
        for (RecordComponent c : type.getRecordComponents()) {
            if (c.isAnnotationPresent(Parameter.class)) {
                continue; // an @EachProperty entry's own name or index, not a setting
            }
            String name = prefix + NameUtils.hyphenate(c.getName());
            Class<?> t = c.getType();
            ConfigurationProperties nested = t.getAnnotation(ConfigurationProperties.class);
            if (t.isRecord() && nested != null) {
                addRecord(prefix + nested.value() + ".", t);
            } else if (Map.class.isAssignableFrom(t)) {
                valid.add(name + ".*");
            } else {
                valid.add(name);
                if (Collection.class.isAssignableFrom(t)) {
                    valid.add(name + "[]");
                }
            }
        }
    }

    /** The accepted keys in normal form (for messages and tests). */
    public Set<String> valid() {
        return Set.copyOf(valid);
    }

    /**
     * Holds property names against the accepted keys.
     *
     * @param names property names (those outside {@code quotahub.} are ignored)
     * @return one line naming the first unknown key (in sorted order) and the nearest valid one,
     *         or empty when every key is known
     */
    public Optional<String> check(Collection<String> names) {
        List<String> unknown = new ArrayList<>();
        for (String name : new TreeSet<>(names)) {
            if (name.startsWith(PREFIX) && !accepted(normal(name.substring(PREFIX.length())))) {
                unknown.add(name);
            }
        }
        if (unknown.isEmpty()) {
            return Optional.empty();
        }
        String first = unknown.get(0);
        String more = unknown.size() == 1 ? "" : " (and " + (unknown.size() - 1) + " more unknown: "
                + String.join(", ", unknown.subList(1, unknown.size())) + ")";
        return Optional.of("unknown setting " + first + nearest(first).map(n -> ": did you mean " + n + "?").orElse("")
                + more);
    }

    private boolean accepted(List<String> segments) {
        String key = String.join(".", segments);
        if (valid.contains(key)) {
            return true;
        }
        // a parent given as a whole (a map or list value), e.g. quotahub.pools or quotahub.nats.tls
        String parent = key + ".";
        String list = key + "[]";
        return valid.stream().anyMatch(v -> v.startsWith(parent) || v.startsWith(list));
    }

    /** The valid key nearest to {@code name} (Levenshtein), written with the name's own pool and indices. */
    Optional<String> nearest(String name) {
        List<String> segments = normal(name.substring(PREFIX.length()));
        String key = String.join(".", segments);
        String last = segments.get(segments.size() - 1);
        String parent = key.substring(0, key.length() - last.length());
        // the same parent first: only the last word is misspelt
        Optional<String> sibling = valid.stream().filter(v -> v.startsWith(parent) && v.indexOf('.', parent.length()) < 0)
                .min(Comparator.comparingInt(v -> distance(v.substring(parent.length()), last)));
        if (sibling.isPresent() && distance(sibling.get().substring(parent.length()), last) <= Math.max(2, last.length() / 3)) {
            String original = name.substring(0, name.length() - rawLast(name).length());
            return Optional.of(original + sibling.get().substring(parent.length()).replace("[]", ""));
        }
        return valid.stream().filter(v -> !v.endsWith("[]")).min(Comparator.comparingInt(v -> distance(v, key)))
                .filter(v -> distance(v, key) <= Math.max(3, key.length() / 3))
                .map(v -> PREFIX + v.replace(".*.", ".<name>.").replace("[]", "[0]").replace(".*", ".<id>"));
    }

    private static String rawLast(String name) {
        int dot = name.lastIndexOf('.');
        return name.substring(dot + 1);
    }

    /** {@code pools.demo.keys[0].maxConcurrent} → [pools, *, keys[], max-concurrent]. */
    static List<String> normal(String key) {
        List<String> out = new ArrayList<>();
        String[] parts = key.split("\\.");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            boolean indexed = p.matches(".*\\[\\d+]");
            String word = indexed ? p.substring(0, p.indexOf('[')) : p;
            if (!out.isEmpty() && word.matches("\\d+") && !indexed) {
                out.set(out.size() - 1, out.get(out.size() - 1) + "[]"); // a list given as a map of indices
                continue;
            }
            boolean named = out.size() == 1 && out.get(0).equals("pools")
                    || out.size() == 1 && out.get(0).equals("initial-split");
            out.add(named ? "*" : NameUtils.hyphenate(word) + (indexed ? "[]" : ""));
        }
        return out;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Every leaf name under {@code name} of a property's value: maps and lists are walked. */
    public static void leaves(String name, Object value, Collection<String> out) {
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            map.forEach((k, v) -> leaves(name + "." + k, v, out));
        } else if (value instanceof List<?> list && !list.isEmpty()) {
            for (int i = 0; i < list.size(); i++) {
                Object v = list.get(i);
                if (v instanceof Map<?, ?> || v instanceof List<?>) {
                    leaves(name + "[" + i + "]", v, out);
                } else {
                    out.add(name);
                }
            }
        } else {
            out.add(name);
        }
    }
}
