package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.config.HubSettings;
import io.micronaut.context.annotation.Context;

/**
 * The pools' version and whether the peer runs the same ({@link MetricNames#CONFIG_VERSION},
 * {@link MetricNames#CONFIG_MISMATCH}, {@link MetricNames#CONFIG_HOLDING_RAISES}): the alert
 * {@code QuotaHubConfigMismatch} fires on a mismatch that lasts.
 */
@Context
public class ConfigMetrics {

    public ConfigMetrics(MeterRegistry registry, HubSettings settings, ConfigAgreement agreement, QuotaEngine engine) {
        Tags hub = Tags.of(MetricNames.TAG_HUB, settings.hubId());
        Gauge.builder(MetricNames.CONFIG_VERSION, agreement, a -> a.own().version())
                .description("Version of the pools this hub runs (its newest reload; 0: none recorded)").tags(hub).register(registry);
        Gauge.builder(MetricNames.CONFIG_HOLDING_RAISES, engine, e -> e.holdingRaises() ? 1 : 0)
                .description("1 while the extra room of a raised limit waits for the peer to fold the reload").tags(hub)
                .register(registry);
        if (settings.hasPeer()) {
            Gauge.builder(MetricNames.CONFIG_MISMATCH, agreement, a -> a.mismatch() ? 1 : 0)
                    .description("1 while the peer announces other pools (another digest) than this hub runs")
                    .tags(hub.and(MetricNames.TAG_PEER, settings.peerId())).register(registry);
        }
    }
}
