package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.RefusalCode;

import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metrics of the pools' routing policies: fallback pools (per pool and fallback pair) and
 * shadow refusals (per pool, key and code). Every series is registered at 0, from the configured
 * pools only (tag values are configured names and enum names, never client input): at start-up and
 * again for what a reload adds ({@link #follow}); shadow series only for pools that shadow something.
 * Series of pools a reload removed or stopped shadowing stay (counters only grow).
 */
public final class PolicyMetrics {

    private final Map<String, Counter> fallbackLeases = new ConcurrentHashMap<>();
    private final Map<String, Counter> fallbackRefusals = new ConcurrentHashMap<>();
    private final Map<String, Counter> exhausted = new ConcurrentHashMap<>();
    private final Map<String, Counter> shadow = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private final String hubId;
    /** The (pool, key)s that shadow something now: a reload replaces the set. */
    private volatile Set<String> shadowedKeys = Set.of();

    /** The codes a shadow refusal can have: those of what shadow and canary modes watch (windows and policy). */
    static final Set<RefusalCode> SHADOW_CODES = EnumSet.of(RefusalCode.QUOTA_EXHAUSTED,
            RefusalCode.BUDGET_EXHAUSTED, RefusalCode.CONCURRENCY, RefusalCode.AGENT_LIMIT, RefusalCode.SHED, RefusalCode.BURST,
            RefusalCode.THROTTLED);

    public PolicyMetrics(MeterRegistry registry, String hubId, Collection<PoolSpec> pools) {
        this.registry = registry;
        this.hubId = hubId;
        follow(pools);
    }

    /** The pools served now (start-up, then each reload): registers their series not registered yet. */
    public synchronized void follow(Collection<PoolSpec> pools) {
        Set<String> shadowing = new HashSet<>();
        for (PoolSpec p : pools) {
            if (!p.fallback().isEmpty()) {
                exhausted.computeIfAbsent(p.name(), n -> Counter.builder(MetricNames.FALLBACK_EXHAUSTED)
                        .description("Acquires refused after the pool and every fallback pool refused")
                        .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, p.name()).register(registry));
            }
            for (String f : p.fallback()) {
                fallbackLeases.computeIfAbsent(pair(p.name(), f), k -> Counter.builder(MetricNames.FALLBACK_LEASES)
                        .description("Leases granted by a fallback pool because the pool asked for had no room")
                        .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, p.name(), MetricNames.TAG_FALLBACK, f)
                        .register(registry));
                fallbackRefusals.computeIfAbsent(pair(p.name(), f), k -> Counter.builder(MetricNames.FALLBACK_REFUSALS)
                        .description("Fallback pools tried that had no room either")
                        .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, p.name(), MetricNames.TAG_FALLBACK, f)
                        .register(registry));
            }
            if (p.hasShadow()) {
                for (KeySpec k : p.keys()) {
                    shadowing.add(p.name() + '\u0000' + k.id());
                    for (RefusalCode code : SHADOW_CODES) {
                        shadow.computeIfAbsent(shadowKey(p.name(), k.id(), code), c -> shadowCounter(p.name(), k.id(), code));
                    }
                }
            }
        }
        shadowedKeys = Set.copyOf(shadowing);
    }

    /** Counts into a registry of its own, seen by nobody (tests, simulations). */
    public static PolicyMetrics unregistered(String hubId) {
        return new PolicyMetrics(new SimpleMeterRegistry(), hubId, List.of());
    }

    /** A lease of {@code fallback}, asked for in {@code pool}. */
    public void fallbackLeased(String pool, String fallback) {
        increment(fallbackLeases, pair(pool, fallback));
    }

    /** {@code fallback} was tried for {@code pool} and refused. */
    public void fallbackRefused(String pool, String fallback) {
        increment(fallbackRefusals, pair(pool, fallback));
    }

    /** {@code pool} and every one of its fallbacks refused. */
    public void fallbackExhausted(String pool) {
        increment(exhausted, pool);
    }

    /** A grant on {@code key} of {@code pool} that enforcement would have refused with {@code code}. */
    public void shadowRefusal(String pool, String key, RefusalCode code) {
        if (shadowedKeys.contains(pool + '\u0000' + key)) { // configured names only: never an unbounded tag
            shadow.computeIfAbsent(shadowKey(pool, key, code), k -> shadowCounter(pool, key, code)).increment();
        }
    }

    private Counter shadowCounter(String pool, String key, RefusalCode code) {
        return Counter.builder(MetricNames.SHADOW_REFUSALS)
                .description("Grants that a pool or limit in shadow or canary mode would have refused")
                .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, pool, MetricNames.TAG_KEY, key, MetricNames.TAG_CODE, code.name())
                .register(registry);
    }

    private static void increment(Map<String, Counter> counters, String key) {
        Counter c = counters.get(key);
        if (c != null) {
            c.increment();
        }
    }

    private static String pair(String pool, String fallback) {
        return pool + '\u0000' + fallback;
    }

    private static String shadowKey(String pool, String key, RefusalCode code) {
        return pool + '\u0000' + key + '\u0000' + code.name();
    }
}
