package io.quotahub.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the measurements of {@link TwoHubBench} found: the JSON's {@code results} and the printed table. */
final class TwoHubReport {

    final Map<String, Object> results = new LinkedHashMap<>();
    final List<String> table = new ArrayList<>();

    static String msRow(String name, Histogram h) {
        return String.format(Locale.ROOT, "%-44s %8d %8.2f %8.2f %8.2f %8.2f", name, h.getTotalCount(), Stats.ms(h, 50),
                Stats.ms(h, 90), Stats.ms(h, 99), h.getMaxValue() / 1e6);
    }

    static String usRow(String name, Histogram h) {
        return String.format(Locale.ROOT, "%-44s %8d %9.1f %9.1f %9.1f %9.1f %9.1f", name, h.getTotalCount(), Stats.us(h, 50),
                Stats.us(h, 90), Stats.us(h, 99), Stats.us(h, 99.9), h.getMaxValue() / 1000.0);
    }

    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
