package io.quotahub.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared helpers of the end-to-end benchmarks: histograms (ns), their JSON, the load average. */
final class Stats {

    static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(30);

    private Stats() {
    }

    /** A histogram of nanoseconds up to 30 s, 3 significant digits. */
    static Histogram histogram() {
        return new Histogram(MAX_NANOS, 3);
    }

    static void record(Histogram into, long nanos) {
        if (into != null) {
            into.recordValue(Math.max(0, Math.min(nanos, MAX_NANOS)));
        }
    }

    /** A percentile in µs. */
    static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** A percentile in ms. */
    static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1_000_000.0;
    }

    /** 1/5/15-minute load averages (other work on the machine widens the tails). */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** count, mean, p50/p90/p99/p99.9, max, in µs ({@code divisor} 1000) or ms (1e6). */
    static Map<String, Object> summary(Histogram h, double divisor) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", h.getTotalCount());
        m.put("mean", h.getMean() / divisor);
        for (double p : new double[] {50, 90, 99, 99.9}) {
            String name = "p" + (p == Math.rint(p) ? Integer.toString((int) p) : Double.toString(p));
            m.put(name, h.getValueAtPercentile(p) / divisor);
        }
        m.put("max", h.getMaxValue() / divisor);
        return m;
    }

    /** {@link #summary} as JSON on one line. */
    static String json(Histogram h, double divisor) {
        return BenchJson.compact(summary(h, divisor));
    }

    /** The machine a result was measured on, with the load averages before and after. */
    static Map<String, Object> machine(String loadBefore, String loadAfter) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + ' ' + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + ' ' + System.getProperty("java.version"));
        m.put("loadAverageBefore", loadBefore);
        m.put("loadAverageAfter", loadAfter);
        return m;
    }

    /** {@link #machine} as JSON on one line. */
    static String machineJson(String loadBefore, String loadAfter) {
        return BenchJson.compact(machine(loadBefore, loadAfter));
    }
}
