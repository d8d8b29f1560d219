package io.quotahub.hub.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.quotahub.engine.CircuitState;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.Zone;

import java.util.List;
import java.util.function.IntToDoubleFunction;
import java.util.function.Supplier;

/**
 * The per-limit and per-key gauges of {@link HubGauges}, written straight into the Prometheus
 * registry from one {@link HubGauges.Snapshot} per scrape. As Micrometer gauges they were ≈ 15
 * meters per key (≈ 0.7 KiB of heap each and most of a 10 000-key hub's start-up); here a key costs
 * its label sets only. Same series names, labels and help texts as the Micrometer gauges.
 */
final class KeySeriesCollector implements MultiCollector {

    private final Supplier<HubGauges.Snapshot> snapshot;
    private final String hubId;
    /** The label sets of one layout (they change only with a reload). */
    private volatile LayoutLabels labels;

    private record LayoutLabels(HubGauges.Layout layout, Labels[] limitLabels, Labels[] keyLabels) {
    }

    KeySeriesCollector(Supplier<HubGauges.Snapshot> snapshot, String hubId) {
        this.snapshot = snapshot;
        this.hubId = hubId;
    }

    private LayoutLabels labels(HubGauges.Layout layout) {
        LayoutLabels l = labels;
        if (l == null || l.layout() != layout) {
            l = of(layout, hubId);
            labels = l;
        }
        return l;
    }

    private static LayoutLabels of(HubGauges.Layout layout, String hubId) {
        List<LimitRef> limits = layout.limits();
        List<String[]> keys = layout.keys();
        Labels[] limitLabels = new Labels[limits.size()];
        for (int i = 0; i < limits.size(); i++) {
            LimitRef ref = limits.get(i);
            limitLabels[i] = Labels.of(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, ref.pool(),
                    MetricNames.TAG_KEY, ref.isPoolLimit() ? "" : ref.keyId(), MetricNames.TAG_LIMIT, ref.toString());
        }
        Labels[] keyLabels = new Labels[keys.size()];
        for (int k = 0; k < keys.size(); k++) {
            keyLabels[k] = Labels.of(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, keys.get(k)[0],
                    MetricNames.TAG_KEY, keys.get(k)[1]);
        }
        return new LayoutLabels(layout, limitLabels, keyLabels);
    }

    @Override
    public MetricSnapshots collect() {
        HubGauges.Snapshot s = snapshot.get();
        LayoutLabels l = labels(s.layout());
        Labels[] limitLabels = l.limitLabels();
        Labels[] keyLabels = l.keyLabels();
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        out.metricSnapshot(gauge(MetricNames.LIMIT_USED, "Units in the current window, leases of both hubs", limitLabels, j -> s.used()[j]));
        out.metricSnapshot(gauge(MetricNames.LIMIT_CAPACITY, "Capacity of the limit per window", limitLabels, j -> s.capacity()[j]));
        out.metricSnapshot(gauge(MetricNames.LIMIT_BUDGET, "This hub's budget of the limit", limitLabels, j -> s.budget()[j]));
        out.metricSnapshot(gauge(MetricNames.LIMIT_UTILIZATION, "Used / capacity, 0-1", limitLabels, j -> s.utilization()[j]));
        out.metricSnapshot(gauge(MetricNames.KEY_TEMPERATURE, "Key temperature 0-100", keyLabels, k -> s.temperature()[k]));
        GaugeSnapshot.Builder zone = builder(MetricNames.KEY_ZONE, "1 for the key's current thermal zone");
        GaugeSnapshot.Builder circuit = builder(MetricNames.KEY_CIRCUIT, "1 for the key's current circuit state");
        for (int k = 0; k < keyLabels.length; k++) {
            for (Zone z : Zone.values()) {
                zone.dataPoint(point(keyLabels[k].add(MetricNames.TAG_ZONE, z.name()), s.zone()[k] == z ? 1 : 0));
            }
            for (CircuitState c : CircuitState.values()) {
                circuit.dataPoint(point(keyLabels[k].add(MetricNames.TAG_STATE, c.name()), s.circuit()[k] == c ? 1 : 0));
            }
        }
        out.metricSnapshot(zone.build());
        out.metricSnapshot(circuit.build());
        out.metricSnapshot(gauge(MetricNames.KEY_COOLDOWN, "Seconds of cooldown left", keyLabels, k -> s.cooldownSeconds()[k]));
        out.metricSnapshot(gauge(MetricNames.KEY_COOLDOWN_NEXT, "Seconds the next 429 without a Retry-After would cool the key for",
                keyLabels, k -> s.nextCooldownSeconds()[k]));
        out.metricSnapshot(gauge(MetricNames.KEY_COOLDOWN_LEARNED, "Seconds of cooldown the key learned from 429s right after its cooldowns",
                keyLabels, k -> s.learnedCooldownSeconds()[k]));
        out.metricSnapshot(gauge(MetricNames.KEY_DISABLED, "1 when the key is disabled (auth failure)", keyLabels,
                k -> s.disabled()[k] ? 1 : 0));
        return out.build();
    }

    private static GaugeSnapshot gauge(String name, String help, Labels[] labels, IntToDoubleFunction value) {
        GaugeSnapshot.Builder b = builder(name, help);
        for (int i = 0; i < labels.length; i++) {
            b.dataPoint(point(labels[i], value.applyAsDouble(i)));
        }
        return b.build();
    }

    private static GaugeSnapshot.Builder builder(String name, String help) {
        return GaugeSnapshot.builder().name(PrometheusNaming.sanitizeMetricName(name.replace('.', '_'))).help(help);
    }

    private static GaugeDataPointSnapshot point(Labels labels, double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }
}
