package io.quotahub.hub.config;

import io.quotahub.hub.config.pools.PoolsBinder;
import io.quotahub.hub.config.pools.PoolsSettings;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads {@code quotahub.pools} again from the configuration files the hub was started with (a
 * reload): the files named by {@code micronaut.config.files} or {@code MICRONAUT_CONFIG_FILES}, in
 * that order, later files overriding earlier ones as Micronaut merges them (maps merged key by key,
 * lists replaced). Checks completely before anything is used: YAML syntax (duplicate keys are
 * errors), unknown keys under {@code quotahub.pools} (named with the nearest valid one), then every
 * value through {@link PoolsBinder}. Anything wrong is a {@link ConfigException} naming the file or
 * the path; nothing is half-read. Pools set through environment variables or {@code -D} are not
 * re-read: a reload takes what the files say.
 */
public final class PoolsFiles {

    private final List<Path> files;

    public PoolsFiles(List<Path> files) {
        this.files = List.copyOf(files);
    }

    /**
     * The files this process was started with: {@code micronaut.config.files}, else the environment
     * variable {@code MICRONAUT_CONFIG_FILES} (comma-separated); empty when neither is set.
     */
    public static PoolsFiles ofThisProcess(Function<String, String> env) {
        return of(Optional.ofNullable(System.getProperty(PROPERTY)).orElse(env.apply("MICRONAUT_CONFIG_FILES")));
    }

    /** The property (and, as MICRONAUT_CONFIG_FILES, the environment variable) naming the configuration files. */
    public static final String PROPERTY = "micronaut.config.files";

    /** The files of a comma-separated list (as {@code micronaut.config.files} gives them); null: none. */
    public static PoolsFiles of(String names) {
        List<Path> out = new ArrayList<>();
        if (names != null) {
            for (String n : names.split(",")) {
                if (!n.isBlank()) {
                    out.add(Path.of(n.strip().replaceFirst("^file:", "")));
                }
            }
        }
        return new PoolsFiles(out);
    }

    public List<Path> files() {
        return files;
    }

    /**
     * Reads, merges, checks and binds the pools of the files.
     *
     * @throws ConfigException naming the file or the path of the first problem
     */
    public PoolsSettings read() {
        if (files.isEmpty()) {
            throw new ConfigException("this hub was not started from configuration files (MICRONAUT_CONFIG_FILES is not set):"
                    + " there is nothing to re-read");
        }
        Map<String, Object> pools = new LinkedHashMap<>();
        boolean any = false;
        for (Path file : files) {
            Object tree = load(file);
            Object section = tree instanceof Map<?, ?> root ? quotahub(root) : null;
            if (section instanceof Map<?, ?> q && q.containsKey("pools")) {
                Object p = q.get("pools");
                if (!(p instanceof Map<?, ?> m)) {
                    throw new ConfigException(file + ": " + PoolsBinder.PREFIX + " must be a mapping of pool names");
                }
                merge(pools, m);
                any = true;
            }
        }
        if (!any) {
            throw new ConfigException("none of " + files + " has " + PoolsBinder.PREFIX + ": a reload would remove every pool;"
                    + " nothing changed");
        }
        List<String> names = new ArrayList<>();
        ConfigKeys.leaves(PoolsBinder.PREFIX, pools, names);
        ConfigKeys.of(Map.of()).check(names).ifPresent(problem -> {
            throw new ConfigException(problem + " (in " + files + ")");
        });
        return PoolsBinder.bind(pools);
    }

    /** The {@code quotahub} mapping: nested, or as a dotted top-level key ({@code quotahub.pools: …}). */
    private static Object quotahub(Map<?, ?> root) {
        Object nested = root.get("quotahub");
        if (nested != null) {
            return nested;
        }
        Object dotted = root.get(PoolsBinder.PREFIX);
        return dotted == null ? null : Map.of("pools", dotted);
    }

    private static Object load(Path file) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new Yaml(new SafeConstructor(options)).load(r);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getClass().getSimpleName());
        } catch (YAMLException e) {
            throw new ConfigException(file + " is not valid YAML: " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        return message.replace('\n', ' ').replaceAll("\\s+", " ").strip();
    }

    /** Micronaut's merge of several files: mappings key by key, anything else replaced. */
    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<?, ?> from) {
        for (Map.Entry<?, ?> e : from.entrySet()) {
            String k = String.valueOf(e.getKey());
            Object mine = into.get(k);
            if (mine instanceof Map<?, ?> m && e.getValue() instanceof Map<?, ?> theirs) {
                Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) m);
                merge(copy, theirs);
                into.put(k, copy);
            } else {
                into.put(k, e.getValue() instanceof Map<?, ?> theirs ? copyOf(theirs) : e.getValue());
            }
        }
    }

    private static Map<String, Object> copyOf(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        merge(out, m);
        return out;
    }
}
