package io.quotahub.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
    static String json(Histogram h, double divisor) {
        List<String> fields = new ArrayList<>();
        fields.add("\"count\": " + h.getTotalCount());
        fields.add(String.format(Locale.ROOT, "\"mean\": %.3f", h.getMean() / divisor));
        for (double p : new double[] {50, 90, 99, 99.9}) {
            String name = "p" + (p == Math.rint(p) ? Integer.toString((int) p) : Double.toString(p));
            fields.add(String.format(Locale.ROOT, "\"%s\": %.3f", name, h.getValueAtPercentile(p) / divisor));
        }
        fields.add(String.format(Locale.ROOT, "\"max\": %.3f", h.getMaxValue() / divisor));
        return "{" + String.join(", ", fields) + "}";
    }

    static String machineJson(String loadBefore, String loadAfter) {
        return "{\"cpus\": " + Runtime.getRuntime().availableProcessors()
                + ", \"os\": \"" + System.getProperty("os.name") + ' ' + System.getProperty("os.version")
                + "\", \"java\": \"" + System.getProperty("java.vm.name") + ' ' + System.getProperty("java.version")
                + "\", \"loadAverageBefore\": \"" + loadBefore + "\", \"loadAverageAfter\": \"" + loadAfter + "\"}";
    }
}
