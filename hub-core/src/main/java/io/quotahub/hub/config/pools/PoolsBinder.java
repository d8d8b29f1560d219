package io.quotahub.hub.config.pools;

import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.Enforcement;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.Preset;
import io.quotahub.hub.config.ConfigException;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one place that turns the property tree of {@code quotahub.pools} into {@link PoolsSettings}:
 * the hub at start-up (from Micronaut's environment), the hub's diagnostics, and the chaos
 * suite's provider simulator (from the YAML file) all bind through it. It is a pure function of
 * the tree, so it runs again on any fresh tree (a reloaded {@code pools.yml}) and either returns a
 * complete, checked model or throws; nothing is half-applied.
 *
 * <p>The tree is what YAML or Micronaut give: nested maps, lists (or maps of indices, as some
 * property sources flatten them), scalars as numbers or text (one comma-separated text for a list
 * of agent ids, as environment variables give it). Keys it does not know are left to
 * {@link #keys()}'s users (the start-up check names them with the nearest valid key).
 *
 * <p>Pure Java and the engine's types only: no Micronaut, so the chaos suite can use it.
 */
public final class PoolsBinder {

    /** Where the pools live in the configuration. */
    public static final String PREFIX = "quotahub.pools";

    private enum Shape { VALUE, VALUES, ENTRIES, MAPPING }

    /** A field of a mapping: a value, a list of values, a list of mappings or one mapping with fields of their own. */
    private record Field(String name, Shape shape, List<Field> fields) {
    }

    private static final List<Field> LIMIT = List.of(value("requests"), value("tokens"), value("per"), value("calendar-day"),
            value("mode"), value("enforce-percent"));
    private static final List<Field> KEY = List.of(value("id"), value("secret-env"), value("secret-file"), value("max-concurrent"),
            entries("limits", LIMIT));
    private static final List<Field> BLOCKS = List.of(value("max-calls"), value("expiry"));
    private static final List<Field> POOL = List.of(entries("keys", KEY), entries("limits", LIMIT), value("max-concurrent"),
            value("preset"), value("max-tokens-per-call"), value("max-open-leases-per-agent"), value("max-share-per-agent"),
            new Field("high-priority-agents", Shape.VALUES, List.of()), value("learn-limits"),
            new Field("fallback", Shape.VALUES, List.of()), value("mode"), value("enforce-percent"),
            new Field("blocks", Shape.MAPPING, BLOCKS));

    private PoolsBinder() {
    }

    /**
     * Every key a pool accepts, relative to {@code quotahub.} in the normal form of the start-up
     * check: a pool's name as {@code *}, a list index as {@code []} (e.g. {@code pools.*.keys[].limits[].per}).
     */
    public static Set<String> keys() {
        Set<String> out = new TreeSet<>();
        addKeys("pools.*.", POOL, out);
        return out;
    }

    private static void addKeys(String prefix, List<Field> fields, Set<String> out) {
        for (Field f : fields) {
            switch (f.shape()) {
                case VALUE -> out.add(prefix + f.name());
                case VALUES -> {
                    out.add(prefix + f.name());
                    out.add(prefix + f.name() + "[]");
                }
                case ENTRIES -> addKeys(prefix + f.name() + "[].", f.fields(), out);
                case MAPPING -> {
                    out.add(prefix + f.name());
                    addKeys(prefix + f.name() + ".", f.fields(), out);
                }
            }
        }
    }

    /**
     * Binds the {@code quotahub.pools} tree: pool name → its settings.
     *
     * @param pools the tree under {@code quotahub.pools}; null or empty: no pools
     * @throws ConfigException naming the path of the first bad value, e.g.
     *                         {@code quotahub.pools.demo.keys[0].limits[1].per is not a duration: …}
     */
    public static PoolsSettings bind(Map<?, ?> pools) {
        List<PoolSettings> out = new ArrayList<>();
        if (pools != null) {
            for (Map.Entry<?, ?> e : pools.entrySet()) {
                String name = e.getKey().toString();
                out.add(pool(name, mapping(PREFIX + "." + name, e.getValue(), POOL)));
            }
        }
        checkFallbacks(out);
        return new PoolsSettings(out);
    }

    /**
     * Every fallback names another configured pool, at most once, and no pool reaches itself
     * through fallbacks (a cycle would make the order of trial depend on where one entered it).
     */
    private static void checkFallbacks(List<PoolSettings> pools) {
        Map<String, List<String>> graph = new LinkedHashMap<>();
        pools.forEach(p -> graph.put(p.name(), p.fallback()));
        for (PoolSettings p : pools) {
            String at = PREFIX + "." + p.name() + ".fallback";
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < p.fallback().size(); i++) {
                String f = p.fallback().get(i);
                if (f.equals(p.name())) {
                    throw new ConfigException(at + "[" + i + "] names the pool itself: a pool cannot be its own fallback");
                }
                if (!graph.containsKey(f)) {
                    throw new ConfigException(at + "[" + i + "] names no configured pool: '" + f + "'; configured pools: "
                            + new TreeSet<>(graph.keySet()));
                }
                if (!seen.add(f)) {
                    throw new ConfigException(at + "[" + i + "] names pool '" + f + "' twice");
                }
            }
        }
        for (String start : graph.keySet()) {
            List<String> cycle = cycleFrom(start, graph, new ArrayList<>(), new HashSet<>());
            if (cycle != null) {
                throw new ConfigException(PREFIX + "." + start + ".fallback makes a cycle: " + String.join(" -> ", cycle)
                        + "; a pool must not reach itself through fallbacks");
            }
        }
    }

    /** The path from {@code start} back to it through fallbacks, or null (depth-first, config order). */
    private static List<String> cycleFrom(String start, Map<String, List<String>> graph, List<String> path, Set<String> done) {
        String at = path.isEmpty() ? start : path.get(path.size() - 1);
        if (path.isEmpty()) {
            path.add(start);
        }
        for (String next : graph.getOrDefault(at, List.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(start);
                return cycle;
            }
            if (!path.contains(next) && done.add(next)) {
                path.add(next);
                List<String> found = cycleFrom(start, graph, path, done);
                if (found != null) {
                    return found;
                }
                path.remove(path.size() - 1);
            }
        }
        return null;
    }

    private static PoolSettings pool(String name, Mapping raw) {
        List<Object> rawKeys = list(raw.at + ".keys", raw.get("keys"));
        if (rawKeys.isEmpty()) {
            throw new ConfigException(raw.at + ".keys is empty: a pool needs at least one key");
        }
        List<KeySettings> keys = new ArrayList<>();
        Set<String> ids = new HashSet<>(); // a linear search was O(keys²) at start-up
        for (int i = 0; i < rawKeys.size(); i++) {
            KeySettings key = key(mapping(raw.at + ".keys[" + i + "]", rawKeys.get(i), KEY));
            if (!ids.add(key.id())) {
                throw new ConfigException(raw.at + ".keys[" + i + "].id '" + key.id() + "' is used twice in pool " + name);
            }
            keys.add(key);
        }
        List<String> fallback = texts(raw, "fallback", "a pool name");
        for (int i = 0; i < fallback.size(); i++) {
            if (fallback.get(i).contains("*")) {
                throw new ConfigException(raw.at + ".fallback[" + i + "] must name a pool, was '" + fallback.get(i) + "'");
            }
        }
        return new PoolSettings(name, keys, limits(raw), integer(raw, "max-concurrent", 0), preset(raw), policy(raw),
                flag(raw, "learn-limits"), enforcement(raw), fallback, blocks(raw));
    }

    /**
     * Blocks of calls (docs/architecture.md, "Block leases"): {@code blocks: {max-calls: 20, expiry: 2s}};
     * off when unset. {@code max-calls} is required with it, {@code expiry} defaults to 2 s.
     */
    private static BlockPolicy blocks(Mapping pool) {
        Object raw = pool.get("blocks");
        if (raw == null) {
            return BlockPolicy.off();
        }
        Mapping blocks = mapping(pool.at + ".blocks", raw, BLOCKS);
        if (blocks.get("max-calls") == null) {
            throw new ConfigException(blocks.at + ".max-calls is missing (the most calls one block may hold, e.g. 20)");
        }
        int maxCalls = integer(blocks, "max-calls", 0);
        Duration expiry = blocks.get("expiry") == null ? BlockPolicy.DEFAULT_EXPIRY
                : DurationText.parse(blocks.at + ".expiry", blocks.get("expiry"));
        try {
            return new BlockPolicy(maxCalls, expiry);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(blocks.at + ": " + e.getMessage());
        }
    }

    private static KeySettings key(Mapping raw) {
        String id = text(raw, "id");
        if (id == null) {
            throw new ConfigException(raw.at + ".id is missing");
        }
        List<LimitSpec> limits = limits(raw);
        int maxConcurrent = integer(raw, "max-concurrent", 0);
        return new KeySettings(id, new SecretSource(text(raw, "secret-env"), text(raw, "secret-file")), limits, maxConcurrent);
    }

    private static List<LimitSpec> limits(Mapping owner) {
        Object raw = owner.get("limits");
        if (raw == null) {
            return List.of();
        }
        List<Object> items = list(owner.at + ".limits", raw);
        List<LimitSpec> limits = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            limits.add(limit(mapping(owner.at + ".limits[" + i + "]", items.get(i), LIMIT)));
        }
        return limits;
    }

    private static LimitSpec limit(Mapping raw) {
        boolean requests = raw.get("requests") != null;
        boolean tokens = raw.get("tokens") != null;
        if (requests == tokens) {
            throw new ConfigException(raw.at + " needs exactly one of 'requests' or 'tokens'");
        }
        LimitKind kind = requests ? LimitKind.REQUESTS : LimitKind.TOKENS;
        long capacity = integer(raw, kind.label(), -1L);
        if (capacity <= 0 || capacity > LimitSpec.MAX_CAPACITY) {
            throw new ConfigException(raw.at + "." + kind.label() + " must be a positive number up to " + LimitSpec.MAX_CAPACITY
                    + ", was " + raw.get(kind.label()));
        }
        Duration per = DurationText.parse(raw.at + ".per", raw.get("per"));
        if (per.isZero() || per.isNegative()) {
            throw new ConfigException(raw.at + ".per must be positive, was " + raw.get("per"));
        }
        Object zone = raw.get("calendar-day");
        Enforcement enforcement = enforcement(raw);
        if (zone == null) {
            return new LimitSpec(kind, capacity, per, null, enforcement);
        }
        if (!per.equals(Duration.ofDays(1))) {
            throw new ConfigException(raw.at + ".calendar-day needs per: 1d, was " + raw.get("per"));
        }
        try {
            return new LimitSpec(kind, capacity, per, ZoneId.of(zone.toString().trim()), enforcement);
        } catch (DateTimeException e) {
            throw new ConfigException(raw.at + ".calendar-day is not a time zone: '" + zone + "' (e.g. Europe/Berlin)");
        }
    }

    /**
     * {@code mode} (enforce, the default; shadow; canary) and {@code enforce-percent} (1–99, for
     * canary only) of a pool or a limit.
     */
    private static Enforcement enforcement(Mapping owner) {
        Object rawMode = owner.get("mode");
        Object rawPercent = owner.get("enforce-percent");
        String mode = rawMode == null ? "enforce" : rawMode.toString().trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "enforce", "shadow" -> {
                if (rawPercent != null) {
                    throw new ConfigException(owner.at + ".enforce-percent is for mode: canary only, but mode is " + mode);
                }
                return mode.equals("shadow") ? Enforcement.SHADOW : Enforcement.ENFORCED;
            }
            case "canary" -> {
                if (rawPercent == null) {
                    throw new ConfigException(owner.at + ".enforce-percent is missing: mode canary needs the share of agents"
                            + " to enforce for, 1-99");
                }
                long percent = integer(owner, "enforce-percent", -1L);
                if (percent < 1 || percent > 99) {
                    throw new ConfigException(owner.at + ".enforce-percent must be between 1 and 99 (use mode enforce for 100,"
                            + " shadow for 0), was " + rawPercent);
                }
                return Enforcement.canary((int) percent);
            }
            default -> throw new ConfigException(owner.at + ".mode must be one of enforce, shadow, canary, was '" + rawMode + "'");
        }
    }

    /** A true/false setting, false when unset. */
    private static boolean flag(Mapping owner, String field) {
        Object raw = owner.get(field);
        if (raw == null) {
            return false;
        }
        String text = raw.toString().trim().toLowerCase(Locale.ROOT);
        if (!text.equals("true") && !text.equals("false")) {
            throw new ConfigException(owner.at + "." + field + " must be true or false, was '" + raw + "'");
        }
        return text.equals("true");
    }

    private static Preset preset(Mapping pool) {
        Object raw = pool.get("preset");
        if (raw == null) {
            return Preset.STANDARD;
        }
        try {
            return Preset.valueOf(raw.toString().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(pool.at + ".preset must be one of " + List.of(Preset.values()) + ", was '" + raw + "'");
        }
    }

    /**
     * What one agent may do in the pool: {@code max-tokens-per-call} (the most tokens a settle may
     * report; default 4 x the largest token limit), {@code max-open-leases-per-agent} and
     * {@code max-share-per-agent} (0–1 of any limit held at once; both 0 = off, the default) and
     * {@code high-priority-agents} (ids, {@code *} matching any run of characters; a list, or one
     * comma-separated text as environment variables give it).
     */
    private static PoolPolicy policy(Mapping pool) {
        Object rawTokens = pool.get("max-tokens-per-call");
        long maxTokens = integer(pool, "max-tokens-per-call", 0L);
        if (rawTokens != null && (maxTokens < 1 || maxTokens > LimitSpec.MAX_CAPACITY)) {
            throw new ConfigException(pool.at + ".max-tokens-per-call must be between 1 and " + LimitSpec.MAX_CAPACITY
                    + " (leave it out for 4 x the largest token limit), was " + rawTokens);
        }
        int maxOpen = integer(pool, "max-open-leases-per-agent", 0);
        double maxShare = fraction(pool, "max-share-per-agent");
        List<String> high = texts(pool, "high-priority-agents", "an agent id or a pattern with '*'");
        try {
            return new PoolPolicy(maxTokens, maxOpen, maxShare, high);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(pool.at + ": " + e.getMessage());
        }
    }

    private static double fraction(Mapping owner, String field) {
        Object raw = owner.get(field);
        if (raw == null) {
            return 0;
        }
        double value;
        try {
            value = Double.parseDouble(raw.toString().trim());
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        if (!(value >= 0 && value <= 1)) {
            throw new ConfigException(owner.at + "." + field + " must be a number between 0 (off) and 1, was '" + raw + "'");
        }
        return value;
    }

    /** A list of texts (or one comma-separated text, as environment variables give it). */
    private static List<String> texts(Mapping owner, String field, String what) {
        Object raw = owner.get(field);
        String at = owner.at + "." + field;
        if (raw == null) {
            return List.of();
        }
        List<Object> items = raw instanceof String text ? new ArrayList<>(List.of((Object[]) text.split(",", -1))) : list(at, raw);
        List<String> patterns = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            if (item == null || item instanceof Map<?, ?> || item instanceof List<?> || item.toString().isBlank()) {
                throw new ConfigException(at + "[" + i + "] must be " + what + ", was " + describe(item));
            }
            patterns.add(item.toString().trim());
        }
        return patterns;
    }

    /** A mapping of the tree at path {@code at}, read only through the fields declared for it. */
    private static final class Mapping {
        final String at;
        private final Map<?, ?> raw;
        private final List<Field> fields;

        Mapping(String at, Map<?, ?> raw, List<Field> fields) {
            this.at = at;
            this.raw = raw;
            this.fields = fields;
        }

        Object get(String field) {
            if (fields.stream().noneMatch(f -> f.name().equals(field))) {
                throw new IllegalStateException(field + " is not declared for " + at + ": add it to the binder's fields");
            }
            return raw.get(field);
        }
    }

    private static Mapping mapping(String at, Object raw, List<Field> fields) {
        if (raw instanceof Map<?, ?> m) {
            return new Mapping(at, m, fields);
        }
        throw new ConfigException(at + " must be a mapping, was " + describe(raw));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(String at, Object raw) {
        if (raw instanceof List<?> l) {
            return (List<Object>) l;
        }
        if (raw instanceof Map<?, ?> m && !m.isEmpty() && m.keySet().stream().allMatch(k -> k.toString().matches("\\d{1,9}"))) {
            // some property sources flatten lists into {"0": …, "1": …}
            TreeMap<Integer, Object> byIndex = new TreeMap<>();
            m.forEach((k, v) -> byIndex.put(Integer.parseInt(k.toString()), v));
            return new ArrayList<>(byIndex.values());
        }
        throw new ConfigException(at + " must be a list, was " + describe(raw));
    }

    /** A text value, trimmed; null when unset or blank. */
    private static String text(Mapping owner, String field) {
        Object raw = owner.get(field);
        return raw == null || raw.toString().isBlank() ? null : raw.toString().trim();
    }

    private static long integer(Mapping owner, String field, long fallback) {
        Object raw = owner.get(field);
        if (raw == null) {
            return fallback;
        }
        try {
            return Long.parseLong(raw.toString().trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(owner.at + "." + field + " must be a whole number, was '" + raw + "'");
        }
    }

    private static int integer(Mapping owner, String field, int fallback) {
        long value = integer(owner, field, (long) fallback);
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new ConfigException(owner.at + "." + field + " must be between 0 and " + Integer.MAX_VALUE + ", was "
                    + owner.get(field));
        }
        return (int) value;
    }

    private static String describe(Object raw) {
        return raw == null ? "missing" : "'" + raw + "'";
    }

    private static Field value(String name) {
        return new Field(name, Shape.VALUE, List.of());
    }

    private static Field entries(String name, List<Field> fields) {
        return new Field(name, Shape.ENTRIES, fields);
    }
}
