package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The metrics of the hub's input guards: what was rejected and why, what heartbeats named that
 * their sender could not prove, and how full the capped structures are. Every series is
 * registered at start-up (at 0, so rates and alerts see it before the first event) and counting
 * is an array read; tag values are enum names and configured pool names, never client input.
 */
public final class GuardMetrics {

    private final MeterRegistry registry;
    private final String hubId;
    private final Counter[][] rejected = new Counter[Entrance.values().length][RejectReason.values().length];
    private final Counter[] proofsIgnored = new Counter[IgnoredProof.values().length];
    private final Counter agentRegistryRefused;
    private final Counter requestIndexRefused;
    private final Counter retryAfterClamped;
    private final Map<String, Counter> downgraded = new ConcurrentHashMap<>();

    public GuardMetrics(MeterRegistry registry, String hubId, Collection<String> pools) {
        this.registry = registry;
        this.hubId = hubId;
        for (Entrance e : Entrance.values()) {
            for (RejectReason r : RejectReason.values()) {
                rejected[e.ordinal()][r.ordinal()] = Counter.builder(MetricNames.REQUESTS_REJECTED)
                        .description("Requests rejected before they changed anything (dropped when they had no reply subject)")
                        .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_ENTRANCE, e.tag(), MetricNames.TAG_REASON, r.tag())
                        .register(registry);
            }
        }
        for (IgnoredProof p : IgnoredProof.values()) {
            proofsIgnored[p.ordinal()] = Counter.builder(MetricNames.HEARTBEAT_PROOFS_IGNORED)
                    .description("Leases named in heartbeats that the sender could not prove it holds")
                    .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_REASON, p.tag())
                    .register(registry);
        }
        agentRegistryRefused = counter(MetricNames.AGENT_REGISTRY_REFUSED, "Heartbeats of new agents ignored: the agent registry was full");
        requestIndexRefused = counter(MetricNames.REQUEST_INDEX_REFUSED, "Acquires refused OVERLOADED: the request index was full");
        retryAfterClamped = counter(MetricNames.RETRY_AFTER_CLAMPED, "Settles whose Retry-After was above quotahub.max-cooldown");
        followPools(pools);
    }

    /** The pools served now (start-up, then each reload): registers the per-pool series of new ones. */
    public void followPools(Collection<String> pools) {
        for (String pool : pools) {
            downgraded.computeIfAbsent(pool, p -> Counter.builder(MetricNames.PRIORITY_DOWNGRADED)
                    .description("HIGH priority asked by an agent not in the pool's high-priority-agents, taken as NORMAL")
                    .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, p)
                    .register(registry));
        }
    }

    /** Counts into a registry of its own, seen by nobody (tests, simulations). */
    public static GuardMetrics unregistered(String hubId) {
        return new GuardMetrics(new SimpleMeterRegistry(), hubId, List.of());
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).tags(MetricNames.TAG_HUB, hubId).register(registry);
    }

    public void rejected(Entrance entrance, RejectReason reason) {
        rejected[entrance.ordinal()][reason.ordinal()].increment();
    }

    public void proofsIgnored(IgnoredProof reason, int count) {
        if (count > 0) {
            proofsIgnored[reason.ordinal()].increment(count);
        }
    }

    public void agentRegistryRefused() {
        agentRegistryRefused.increment();
    }

    public void requestIndexRefused() {
        requestIndexRefused.increment();
    }

    public void retryAfterClamped() {
        retryAfterClamped.increment();
    }

    public void priorityDowngraded(String pool) {
        Counter c = downgraded.get(pool);
        if (c != null) {
            c.increment();
        }
    }

    /** The size and cap gauges of the agent registry. */
    public void watchAgentRegistry(IntSupplier size, int capacity) {
        gauge(MetricNames.AGENT_REGISTRY_SIZE, "Agents in the registry (known from heartbeats)", size);
        gauge(MetricNames.AGENT_REGISTRY_CAPACITY, "Cap of the agent registry (quotahub.max-agents)", () -> capacity);
    }

    /** The size and cap gauges of the request index. */
    public void watchRequestIndex(IntSupplier size, int capacity) {
        gauge(MetricNames.REQUEST_INDEX_SIZE, "Request ids remembered to answer retries", size);
        gauge(MetricNames.REQUEST_INDEX_CAPACITY, "Cap of the request index (quotahub.max-request-index)", () -> capacity);
    }

    private void gauge(String name, String description, IntSupplier value) {
        Gauge.builder(name, value, IntSupplier::getAsInt)
                .description(description)
                .tags(MetricNames.TAG_HUB, hubId)
                .strongReference(true)
                .register(registry);
    }

    /** Rejections counted so far at {@code entrance} for {@code reason} (tests and diagnostics). */
    public long rejectedCount(Entrance entrance, RejectReason reason) {
        return (long) rejected[entrance.ordinal()][reason.ordinal()].count();
    }
}
