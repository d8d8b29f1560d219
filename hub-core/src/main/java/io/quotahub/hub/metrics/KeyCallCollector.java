package io.quotahub.hub.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;

import java.util.List;

/**
 * The per-key series of {@link ProviderCallMetrics}, written straight into the Prometheus registry:
 * per key a classic histogram of call durations (a count per bucket, the sum) and a token
 * counter. Each key's numbers are guarded by their own lock: a settle touches one key, a scrape
 * reads them one by one.
 */
final class KeyCallCollector implements MultiCollector {

    static final String CALL_HELP = "Provider call duration per key, as agents reported it with their settle";
    static final String TOKENS_HELP = "Tokens used per key, as settled (leases of this hub)";

    private final Labels[] labels;
    private final double[] bounds;
    private final Calls[] calls;

    /** One key's calls: counts per bucket (the last is +Inf), their sum, the tokens. */
    private static final class Calls {
        final long[] counts;
        double sumSeconds;
        long tokens;

        Calls(int buckets) {
            counts = new long[buckets + 1];
        }
    }

    KeyCallCollector(String hubId, List<String[]> keys, double[] bucketsSeconds) {
        this.bounds = bucketsSeconds.clone();
        this.labels = new Labels[keys.size()];
        this.calls = new Calls[keys.size()];
        for (int k = 0; k < keys.size(); k++) {
            labels[k] = Labels.of(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, keys.get(k)[0], MetricNames.TAG_KEY, keys.get(k)[1]);
            calls[k] = new Calls(bounds.length);
        }
    }

    void observeCall(int key, long millis) {
        double seconds = millis / 1000.0;
        int b = 0;
        while (b < bounds.length && seconds > bounds[b]) {
            b++;
        }
        Calls c = calls[key];
        synchronized (c) {
            c.counts[b]++;
            c.sumSeconds += seconds;
        }
    }

    void addTokens(int key, long tokens) {
        Calls c = calls[key];
        synchronized (c) {
            c.tokens = c.tokens > Long.MAX_VALUE - tokens ? Long.MAX_VALUE : c.tokens + tokens;
        }
    }

    @Override
    public MetricSnapshots collect() {
        HistogramSnapshot.Builder histogram = HistogramSnapshot.builder()
                .name(PrometheusNaming.sanitizeMetricName(MetricNames.PROVIDER_CALL_DURATION.replace('.', '_') + "_seconds"))
                .help(CALL_HELP);
        CounterSnapshot.Builder tokens = CounterSnapshot.builder()
                .name(PrometheusNaming.sanitizeMetricName(MetricNames.KEY_TOKENS_USED.replace('.', '_')))
                .help(TOKENS_HELP);
        double[] upper = new double[bounds.length + 1];
        System.arraycopy(bounds, 0, upper, 0, bounds.length);
        upper[bounds.length] = Double.POSITIVE_INFINITY;
        for (int k = 0; k < calls.length; k++) {
            Calls c = calls[k];
            long[] counts;
            double sum;
            long used;
            synchronized (c) {
                counts = c.counts.clone();
                sum = c.sumSeconds;
                used = c.tokens;
            }
            // counts per bucket, not cumulative: the exposition adds them up
            histogram.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder().labels(labels[k])
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, counts)).sum(sum).build());
            tokens.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels[k]).value(used).build());
        }
        return MetricSnapshots.builder().metricSnapshot(histogram.build()).metricSnapshot(tokens.build()).build();
    }
}
