package io.quotahub.chaos;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * JSON of the chaos module, with jackson-jr: what the checker reads (the provider's {@code /calls},
 * the hubs' {@code /api/v1/state}) as maps, lists, strings, numbers and booleans, and what the
 * provider and the report write, built as the same trees. Nulls are written.
 */
public final class ChaosJson {

    private static final JSON COMPACT = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);
    private static final JSON PRETTY = COMPACT.with(JSON.Feature.PRETTY_PRINT_OUTPUT);

    private ChaosJson() {
    }

    /** @throws IllegalArgumentException on malformed input */
    public static Object parse(String text) {
        try {
            return JSON.std.anyFrom(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    public static List<Object> arr(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    public static long num(Object o) {
        return o == null ? 0 : ((Number) o).longValue();
    }

    /** The tree (maps, lists, strings, numbers, booleans, nulls) on one line. */
    /** An object of name, value pairs, in order (a value may be null). */
    public static Map<String, Object> doc(Object... nameValues) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            m.put((String) nameValues[i], nameValues[i + 1]);
        }
        return m;
    }

    public static String write(Object tree) {
        try {
            return COMPACT.asString(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tree, indented, with a final newline. */
    public static String pretty(Object tree) {
        try {
            return PRETTY.asString(tree) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
