package io.quotahub.bench;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmarks' result files, written with jackson-jr from maps and lists. Doubles are written
 * with three decimals (as the result files always had: {@code 12.500}), nulls are kept.
 */
final class BenchJson {

    private static final JSON WRITER = JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).with(JSON.Feature.WRITE_NULL_PROPERTIES);
    private static final JSON COMPACT = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private BenchJson() {
    }

    /** The tree as indented JSON with a final newline. */
    static String pretty(Object tree) {
        try {
            return WRITER.asString(normalise(tree)) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tree as JSON on one line. */
    static String compact(Object tree) {
        try {
            return COMPACT.asString(normalise(tree));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An object of name, value pairs, in order. */
    static Map<String, Object> obj(Object... nameValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            m.put((String) nameValues[i], nameValues[i + 1]);
        }
        return m;
    }

    /** A copy of the tree with every double rounded to three decimals; anything else as it is. */
    static Object normalise(Object o) {
        if (o instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? d.toString() : BigDecimal.valueOf(d).setScale(3, RoundingMode.HALF_UP);
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(String.valueOf(k), normalise(v)));
            return copy;
        }
        if (o instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            l.forEach(v -> copy.add(normalise(v)));
            return copy;
        }
        return o;
    }
}
