package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.Lease;
import io.quotahub.engine.Refusal;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.config.HubSettings;
import jakarta.inject.Singleton;

/** Counts the engine's decisions as Prometheus metrics, tagged by hub, pool and key id (never a secret). */
@Singleton
public class EngineMetrics implements EngineListener {

    private final MeterRegistry registry;
    private final String hubId;

    public EngineMetrics(MeterRegistry registry, HubSettings settings) {
        this.registry = registry;
        this.hubId = settings.hubId();
    }

    @Override
    public void onGranted(Lease lease) {
        registry.counter(MetricNames.LEASES_GRANTED, MetricNames.TAG_HUB, hubId,
                MetricNames.TAG_POOL, lease.pool(), MetricNames.TAG_KEY, lease.keyId()).increment();
    }

    @Override
    public void onRefused(String pool, Refusal refusal) {
        registry.counter(MetricNames.LEASES_REFUSED, MetricNames.TAG_HUB, hubId,
                MetricNames.TAG_POOL, pool, MetricNames.TAG_REASON, refusal.code().name()).increment();
    }

    @Override
    public void onSettled(Lease lease, Settlement settlement) {
        registry.counter(MetricNames.LEASES_SETTLED, MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, lease.pool(),
                MetricNames.TAG_KEY, lease.keyId(), MetricNames.TAG_OUTCOME, settlement.outcome().name()).increment();
    }
}
