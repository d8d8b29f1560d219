package io.quotahub.hub.config;

import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.function.Function;

/**
 * Maps the raw {@code quotahub.pools} tree onto engine specs and reads the keys' secrets.
 *
 * <p>A structural error (a limit without a count, a bad duration) fails start-up with a message
 * naming the field. A key whose secret cannot be read is reported and left out; the hub still
 * starts. Secrets are never part of a message.
 */
public final class PoolsConfigReader {

    private final Function<String, String> env;

    /** @param env environment lookup (System::getenv in production) */
    public PoolsConfigReader(Function<String, String> env) {
        this.env = env;
    }

    public PoolsConfig read(Map<String, Object> rawPools) {
        List<PoolSpec> pools = new ArrayList<>();
        Map<KeyRef, Secret> secrets = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Set<String> unusable = new HashSet<>();
        if (rawPools == null || rawPools.isEmpty()) {
            problems.add("no pools configured under quotahub.pools: every acquire will be refused");
            return new PoolsConfig(pools, secrets, problems, unusable);
        }
        for (Map.Entry<String, Object> e : rawPools.entrySet()) {
            String pool = e.getKey();
            String at = "quotahub.pools." + pool;
            Map<String, Object> raw = map(at, e.getValue());
            List<Object> rawKeys = list(at + ".keys", raw.get("keys"));
            if (rawKeys.isEmpty()) {
                throw new ConfigException(at + ".keys is empty: a pool needs at least one key");
            }
            List<KeySpec> keys = new ArrayList<>();
            Set<String> keyIds = new HashSet<>(); // ids of the keys added: a linear search was O(keys²) at start-up
            for (int i = 0; i < rawKeys.size(); i++) {
                String keyAt = at + ".keys[" + i + "]";
                Map<String, Object> rawKey = map(keyAt, rawKeys.get(i));
                KeySpec key = new KeySpec(string(keyAt + ".id", rawKey.get("id")),
                        limits(keyAt, rawKey.get("limits")), integer(keyAt + ".max-concurrent", rawKey.get("max-concurrent"), 0));
                if (keyIds.contains(key.id())) {
                    throw new ConfigException(keyAt + ".id '" + key.id() + "' is used twice in pool " + pool);
                }
                String problem = readSecret(keyAt, key.id(), rawKey, secret -> secrets.put(new KeyRef(pool, key.id()), secret));
                if (problem == null) {
                    keys.add(key);
                    keyIds.add(key.id());
                } else {
                    problems.add("key " + key.id() + " of pool " + pool + " is not used: " + problem);
                }
            }
            if (keys.isEmpty()) {
                unusable.add(pool);
                problems.add("pool " + pool + " has no usable key: its acquires are refused");
            }
            pools.add(new PoolSpec(pool, keys, limits(at, raw.get("limits")),
                    integer(at + ".max-concurrent", raw.get("max-concurrent"), 0), preset(at + ".preset", raw.get("preset")),
                    policy(at, raw)));
        }
        return new PoolsConfig(pools, secrets, problems, unusable);
    }

    /** @return null when the secret was read, else why not (never the secret itself) */
    private String readSecret(String at, String keyId, Map<String, Object> rawKey, java.util.function.Consumer<Secret> sink) {
        Object envName = rawKey.get("secret-env");
        Object file = rawKey.get("secret-file");
        if (envName == null && file == null) {
            return at + " has neither secret-env nor secret-file";
        }
        String value;
        if (envName != null) {
            value = env.apply(envName.toString());
            if (value == null || value.isBlank()) {
                return "environment variable " + envName + " is not set or empty";
            }
        } else {
            try {
                value = Files.readString(Path.of(file.toString())).strip();
            } catch (IOException | SecurityException e) {
                return "cannot read secret-file " + file + " (" + e.getClass().getSimpleName() + ")";
            }
            if (value.isEmpty()) {
                return "secret-file " + file + " is empty";
            }
        }
        sink.accept(new Secret(value));
        return null;
    }

    private static List<LimitSpec> limits(String at, Object raw) {
        if (raw == null) {
            return List.of();
        }
        List<Object> items = list(at + ".limits", raw);
        List<LimitSpec> limits = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            limits.add(limit(at + ".limits[" + i + "]", map(at + ".limits[" + i + "]", items.get(i))));
        }
        return limits;
    }

    private static LimitSpec limit(String at, Map<String, Object> raw) {
        boolean requests = raw.containsKey("requests");
        boolean tokens = raw.containsKey("tokens");
        if (requests == tokens) {
            throw new ConfigException(at + " needs exactly one of 'requests' or 'tokens'");
        }
        LimitKind kind = requests ? LimitKind.REQUESTS : LimitKind.TOKENS;
        long capacity = integer(at + "." + kind.label(), raw.get(kind.label()), -1L);
        if (capacity <= 0) {
            throw new ConfigException(at + "." + kind.label() + " must be a positive number, was " + raw.get(kind.label()));
        }
        Duration per = DurationText.parse(at + ".per", raw.get("per"));
        if (per.isZero() || per.isNegative()) {
            throw new ConfigException(at + ".per must be positive, was " + raw.get("per"));
        }
        Object zone = raw.get("calendar-day");
        if (zone == null) {
            return new LimitSpec(kind, capacity, per, null);
        }
        if (!per.equals(Duration.ofDays(1))) {
            throw new ConfigException(at + ".calendar-day needs per: 1d, was " + raw.get("per"));
        }
        try {
            return new LimitSpec(kind, capacity, per, ZoneId.of(zone.toString()));
        } catch (DateTimeException e) {
            throw new ConfigException(at + ".calendar-day is not a time zone: '" + zone + "' (e.g. Europe/Berlin)");
        }
    }

    /**
     * What one agent may do in the pool: {@code max-tokens-per-call} (the most tokens a settle may
     * report; default 4 x the largest token limit), {@code max-open-leases-per-agent} and
     * {@code max-share-per-agent} (0–1 of any limit held at once; both 0 = off, the default) and
     * {@code high-priority-agents} (ids, {@code *} matching any run of characters; a list, or one
     * comma-separated text as environment variables give it).
     */
    private static PoolPolicy policy(String at, Map<String, Object> raw) {
        Object rawTokens = raw.get("max-tokens-per-call");
        long maxTokens = integer(at + ".max-tokens-per-call", rawTokens, 0L);
        if (rawTokens != null && (maxTokens < 1 || maxTokens > LimitSpec.MAX_CAPACITY)) {
            throw new ConfigException(at + ".max-tokens-per-call must be between 1 and " + LimitSpec.MAX_CAPACITY
                    + " (leave it out for 4 x the largest token limit), was " + rawTokens);
        }
        int maxOpen = integer(at + ".max-open-leases-per-agent", raw.get("max-open-leases-per-agent"), 0);
        double maxShare = fraction(at + ".max-share-per-agent", raw.get("max-share-per-agent"));
        List<String> high = patterns(at + ".high-priority-agents", raw.get("high-priority-agents"));
        try {
            return new PoolPolicy(maxTokens, maxOpen, maxShare, high);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ": " + e.getMessage());
        }
    }

    private static double fraction(String at, Object raw) {
        if (raw == null) {
            return 0;
        }
        double value;
        try {
            value = Double.parseDouble(raw.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(at + " must be a number between 0 (off) and 1, was '" + raw + "'");
        }
        if (!(value >= 0 && value <= 1)) {
            throw new ConfigException(at + " must be a number between 0 (off) and 1, was '" + raw + "'");
        }
        return value;
    }

    private static List<String> patterns(String at, Object raw) {
        if (raw == null) {
            return List.of();
        }
        List<Object> items = raw instanceof String text ? new ArrayList<>(List.of((Object[]) text.split(",", -1))) : list(at, raw);
        List<String> patterns = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            if (item == null || item instanceof Map<?, ?> || item instanceof List<?> || item.toString().isBlank()) {
                throw new ConfigException(at + "[" + i + "] must be an agent id or a pattern with '*', was " + describe(item));
            }
            patterns.add(item.toString().trim());
        }
        return patterns;
    }

    private static Preset preset(String at, Object raw) {
        if (raw == null) {
            return Preset.STANDARD;
        }
        try {
            return Preset.valueOf(raw.toString().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + " must be one of " + List.of(Preset.values()) + ", was '" + raw + "'");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(String at, Object raw) {
        if (raw instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new ConfigException(at + " must be a mapping, was " + describe(raw));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(String at, Object raw) {
        if (raw instanceof List<?> l) {
            return (List<Object>) l;
        }
        if (raw instanceof Map<?, ?> m && isIndexed(m)) {
            // some property sources flatten lists into {"0": …, "1": …}
            return new ArrayList<>(new java.util.TreeMap<>((Map<String, Object>) m).values());
        }
        throw new ConfigException(at + " must be a list, was " + describe(raw));
    }

    private static boolean isIndexed(Map<?, ?> m) {
        return !m.isEmpty() && m.keySet().stream().allMatch(k -> k.toString().matches("\\d+"));
    }

    private static String string(String at, Object raw) {
        if (raw == null || raw.toString().isBlank()) {
            throw new ConfigException(at + " is missing");
        }
        return raw.toString().trim();
    }

    private static long integer(String at, Object raw, long fallback) {
        if (raw == null) {
            return fallback;
        }
        try {
            return Long.parseLong(raw.toString().trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(at + " must be a whole number, was '" + raw + "'");
        }
    }

    private static int integer(String at, Object raw, int fallback) {
        long value = integer(at, raw, (long) fallback);
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new ConfigException(at + " must be between 0 and " + Integer.MAX_VALUE + ", was " + raw);
        }
        return (int) value;
    }

    private static String describe(Object raw) {
        return raw == null ? "missing" : "'" + raw + "'";
    }
}
