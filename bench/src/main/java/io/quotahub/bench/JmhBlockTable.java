package io.quotahub.bench;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link BlockAcquireBenchmark}'s JMH result file (JSON, {@code -rf json}) as the Markdown table of
 * docs/benchmarks.md, section 8: per limiter the average ({@code AverageTime}), the percentiles
 * ({@code SampleTime}), the bytes allocated per op ({@code -prof gc}, of the average-time run) and
 * the ratio of each figure to resilience4j's, then the check against the targets (block p50 ≤ 1 µs,
 * ≤ 2 x resilience4j).
 */
final class JmhBlockTable {

    /** The benchmark methods, in the table's order, and how the table names them. */
    static final Map<String, String> OPS = new LinkedHashMap<>();

    static {
        OPS.put("blockTryAcquire", "SDK block `tryAcquire(1)`");
        OPS.put("resilience4jAcquirePermission", "resilience4j `acquirePermission()`");
        OPS.put("bucket4jTryConsume", "bucket4j `tryConsume(1)`");
    }

    private static final String BASELINE = "resilience4jAcquirePermission";

    /** One limiter's figures, ns per op and bytes per op. */
    record Row(String method, double average, double averageError, double p50, double p90, double p99, double p999,
               double allocated) {
    }

    private JmhBlockTable() {
    }

    /** The rows of a result file's one-thread runs, in {@link #OPS} order (a method missing from the file is left out). */
    static List<Row> rows(String json) throws IOException {
        List<Object> entries = JSON.std.listFrom(json);
        Map<String, Row> by = new LinkedHashMap<>();
        for (String method : OPS.keySet()) {
            double[] f = {Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN};
            boolean found = false;
            for (Object o : entries) {
                Map<?, ?> e = (Map<?, ?>) o;
                String name = String.valueOf(e.get("benchmark"));
                if (!name.endsWith("." + method) || ((Number) e.get("threads")).intValue() != 1) {
                    continue;
                }
                found = true;
                Map<?, ?> primary = (Map<?, ?>) e.get("primaryMetric");
                if ("avgt".equals(e.get("mode"))) {
                    f[0] = num(primary.get("score"));
                    f[1] = num(primary.get("scoreError"));
                    Map<?, ?> secondary = (Map<?, ?>) e.get("secondaryMetrics");
                    Object alloc = secondary == null ? null : secondary.get("gc.alloc.rate.norm");
                    if (alloc instanceof Map<?, ?> a) {
                        f[6] = num(a.get("score"));
                    }
                } else if ("sample".equals(e.get("mode"))) {
                    Map<?, ?> p = (Map<?, ?>) primary.get("scorePercentiles");
                    f[2] = num(p.get("50.0"));
                    f[3] = num(p.get("90.0"));
                    f[4] = num(p.get("99.0"));
                    f[5] = num(p.get("99.9"));
                }
            }
            if (found) {
                by.put(method, new Row(method, f[0], f[1], f[2], f[3], f[4], f[5], f[6]));
            }
        }
        return List.copyOf(by.values());
    }

    /** The Markdown table and the line on the targets. */
    static String markdown(List<Row> rows) {
        Row base = rows.stream().filter(r -> r.method().equals(BASELINE)).findFirst().orElse(null);
        StringBuilder sb = new StringBuilder();
        sb.append("| op | average | p50 | p90 | p99 | p99.9 | allocated | average / resilience4j | p50 / resilience4j |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---|---:|---:|\n");
        for (Row r : rows) {
            boolean block = r.method().equals("blockTryAcquire");
            String avg = Double.isNaN(r.average()) ? "–" : Double.isNaN(r.averageError()) // one iteration: JMH gives no error
                    ? String.format(Locale.ROOT, "%.1f", r.average())
                    : String.format(Locale.ROOT, "%.1f ± %.1f", r.average(), r.averageError());
            String p50 = grouped(r.p50());
            sb.append("| ").append(OPS.get(r.method()))
                    .append(" | ").append(block ? "**" + avg + "**" : avg)
                    .append(" | ").append(block ? "**" + p50 + "**" : p50)
                    .append(" | ").append(grouped(r.p90()))
                    .append(" | ").append(grouped(r.p99()))
                    .append(" | ").append(grouped(r.p999()))
                    .append(" | ").append(Double.isNaN(r.allocated()) ? "–" : String.format(Locale.ROOT, "%.3f B/op", r.allocated()))
                    .append(" | ").append(ratio(r.average(), base == null ? Double.NaN : base.average()))
                    .append(" | ").append(ratio(r.p50(), base == null ? Double.NaN : base.p50()))
                    .append(" |\n");
        }
        Row block = rows.stream().filter(r -> r.method().equals("blockTryAcquire")).findFirst().orElse(null);
        if (block != null && base != null) {
            sb.append('\n').append(String.format(Locale.ROOT,
                    "**Against the targets, same run:** block p50 %s ns %s 1 µs; %s × resilience4j's p50 and %s × its average"
                            + " (target ≤ 2 ×: %s); allocated %.3f B/op.",
                    grouped(block.p50()), block.p50() <= 1_000 ? "≤" : "**>**", ratio(block.p50(), base.p50()),
                    ratio(block.average(), base.average()),
                    block.p50() <= 2 * base.p50() && block.average() <= 2 * base.average() ? "met" : "**not met**",
                    block.allocated()));
            sb.append('\n');
        }
        return sb.toString();
    }

    /** ns as in the docs: below 100 with one decimal, else whole with a space between thousands. */
    static String grouped(double ns) {
        if (Double.isNaN(ns)) {
            return "–";
        }
        if (ns < 100) {
            return ns == Math.rint(ns) ? String.format(Locale.ROOT, "%.0f", ns) : String.format(Locale.ROOT, "%.1f", ns);
        }
        return String.format(Locale.ROOT, "%,d", Math.round(ns)).replace(',', ' ');
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b <= 0 ? "–" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
