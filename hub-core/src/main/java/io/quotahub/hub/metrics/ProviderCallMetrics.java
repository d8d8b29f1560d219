package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.PoolsConfig;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the provider did per key, as the agents reported it: how long its calls took
 * ({@link MetricNames#PROVIDER_CALL_DURATION}, from a settle's {@code call_duration_ms}) and how
 * many tokens they used ({@link MetricNames#KEY_TOKENS_USED}); the 429s per key are
 * {@link MetricNames#LEASES_SETTLED} with {@code outcome="RATE_LIMITED"}. Tags hub, pool, key —
 * configured names only, never a secret, never client input.
 *
 * <p>Every key's series exist from start-up. With the hub's Prometheus registry they are a few
 * numbers per key in a {@link KeyCallCollector} (a Micrometer timer per key would cost kilobytes
 * of heap each on a 10 000-key hub); with another registry, Micrometer meters.
 */
@Singleton
public class ProviderCallMetrics {

    /** Histogram buckets of a provider call, seconds: a short list, as every key has its own histogram. */
    static final double[] CALL_BUCKETS_SECONDS = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** A reported duration above this is implausible (a lease lives minutes at most) and not recorded. */
    static final long MAX_CALL_MILLIS = Duration.ofHours(1).toMillis();

    private final Map<String, Integer> keyIndex = new HashMap<>();
    private final KeyCallCollector collector;
    private final Timer[] timers;
    private final Counter[] tokens;

    public ProviderCallMetrics(MeterRegistry meterRegistry, HubSettings settings, PoolsConfig pools) {
        MeterRegistry registry = PerKeyRegistry.of(meterRegistry);
        List<String[]> keys = new ArrayList<>();
        for (PoolSpec pool : pools.pools()) {
            for (KeySpec key : pool.keys()) {
                keyIndex.put(id(pool.name(), key.id()), keys.size());
                keys.add(new String[] {pool.name(), key.id()});
            }
        }
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            collector = new KeyCallCollector(settings.hubId(), keys, CALL_BUCKETS_SECONDS);
            prometheus.getPrometheusRegistry().register(collector);
            timers = null;
            tokens = null;
        } else {
            collector = null;
            timers = new Timer[keys.size()];
            tokens = new Counter[keys.size()];
            Duration[] slos = new Duration[CALL_BUCKETS_SECONDS.length];
            for (int i = 0; i < slos.length; i++) {
                slos[i] = Duration.ofMillis(Math.round(CALL_BUCKETS_SECONDS[i] * 1000));
            }
            for (int k = 0; k < keys.size(); k++) {
                String[] tags = {MetricNames.TAG_HUB, settings.hubId(), MetricNames.TAG_POOL, keys.get(k)[0],
                        MetricNames.TAG_KEY, keys.get(k)[1]};
                timers[k] = Timer.builder(MetricNames.PROVIDER_CALL_DURATION).description(KeyCallCollector.CALL_HELP)
                        .tags(tags).serviceLevelObjectives(slos).register(registry);
                tokens[k] = Counter.builder(MetricNames.KEY_TOKENS_USED).description(KeyCallCollector.TOKENS_HELP)
                        .tags(tags).register(registry);
            }
        }
    }

    /** Nothing exported (tests, simulations). */
    public static ProviderCallMetrics none() {
        return new ProviderCallMetrics();
    }

    private ProviderCallMetrics() {
        collector = null;
        timers = new Timer[0];
        tokens = new Counter[0];
    }

    private static String id(String pool, String keyId) {
        return pool + '\u0000' + keyId;
    }

    /** A provider call under a lease of {@code pool}/{@code keyId} took {@code millis}; 0 or less: not measured, ignored. */
    public void callDuration(String pool, String keyId, long millis) {
        Integer k = keyIndex.get(id(pool, keyId));
        if (k == null || millis <= 0 || millis > MAX_CALL_MILLIS) {
            return;
        }
        if (collector != null) {
            collector.observeCall(k, millis);
        } else {
            timers[k].record(millis, TimeUnit.MILLISECONDS);
        }
    }

    /** A settle of a lease of {@code pool}/{@code keyId} reported {@code used} tokens. */
    public void tokensUsed(String pool, String keyId, long used) {
        Integer k = keyIndex.get(id(pool, keyId));
        if (k == null || used <= 0) {
            return;
        }
        if (collector != null) {
            collector.addTokens(k, used);
        } else {
            tokens[k].increment(used);
        }
    }
}
