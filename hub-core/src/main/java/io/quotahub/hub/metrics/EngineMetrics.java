package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Refusal;
import io.quotahub.engine.RefusalCode;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.ledger.HubLedger;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the engine's decisions as Prometheus metrics, tagged by hub, pool and key id (never a
 * secret): {@link MetricNames#LEASES_GRANTED}, {@link MetricNames#LEASES_REFUSED},
 * {@link MetricNames#LEASES_SETTLED}, the tokens settled per key ({@link ProviderCallMetrics}) and
 * the cooldowns 429s caused per pool ({@link MetricNames#COOLDOWN_APPLIED}).
 *
 * <p>Every series of the configured pools and keys is registered at start-up (at 0, so rates and
 * alerts see them before the first event) and cached: the acquire path does two map reads and no allocation, no
 * registry lookup. A refusal for a pool that is not configured is counted under the pool tag
 * {@link #UNKNOWN_POOL}: pool names sent by clients never become tag values.
 *
 * <p>Settles, their tokens and their cooldowns are counted live and only for leases this hub granted, so summing over both hubs
 * counts each settle once: the engine also folds the peer's settles and replays its own ledger at
 * start-up, neither of which is counted here (the peer counts its own).
 */
@Singleton
public class EngineMetrics implements EngineListener {

    /** Pool tag of refusals naming a pool that is not configured. */
    public static final String UNKNOWN_POOL = "(unknown)";
    /** Buckets of {@link MetricNames#COOLDOWN_APPLIED}: the default ladder's steps, then doublings up to the default max cooldown. */
    static final Duration[] COOLDOWN_BUCKETS = {Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
            Duration.ofMinutes(15), Duration.ofHours(1)};

    private final MeterRegistry registry;
    private final String hubId;
    private final HubLedger ledger;
    // pool -> key id -> counter(s), no allocation per lookup; filled in the constructor and by
    // follow (a reload's new pools and keys), so concurrent maps
    private final Map<String, Map<String, Counter>> granted = new ConcurrentHashMap<>();
    private final Map<String, EnumMap<RefusalCode, Counter>> refused = new ConcurrentHashMap<>();
    private final Map<String, Map<String, EnumMap<Outcome, Counter>>> settled = new ConcurrentHashMap<>();
    private final Map<String, Timer> cooldowns = new ConcurrentHashMap<>();
    private final ProviderCallMetrics calls;

    public EngineMetrics(MeterRegistry registry, HubSettings settings, PoolsConfig pools, HubLedger ledger,
                         ProviderCallMetrics calls) {
        this.registry = PerKeyRegistry.of(registry);
        this.hubId = settings.hubId();
        this.ledger = ledger;
        this.calls = calls;
        follow(pools.pools());
        refused.put(UNKNOWN_POOL, refusedCounters(UNKNOWN_POOL));
    }

    /** Registers the series of pools and keys not seen yet (at start, and after a reload added some); keeps the others. */
    public void follow(List<PoolSpec> pools) {
        for (PoolSpec pool : pools) {
            refused.computeIfAbsent(pool.name(), this::refusedCounters);
            cooldowns.computeIfAbsent(pool.name(), name -> Timer.builder(MetricNames.COOLDOWN_APPLIED)
                    .description("Cooldowns 429s caused: a Retry-After (clamped) or the learned ladder's step")
                    .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, name)
                    .serviceLevelObjectives(COOLDOWN_BUCKETS).register(registry));
            for (KeySpec key : pool.keys()) {
                granted.computeIfAbsent(pool.name(), p -> new ConcurrentHashMap<>())
                        .computeIfAbsent(key.id(), id -> grantedCounter(pool.name(), id));
                settled.computeIfAbsent(pool.name(), p -> new ConcurrentHashMap<>())
                        .computeIfAbsent(key.id(), id -> settledCounters(pool.name(), id));
            }
        }
    }

    private static <T> T lookup(Map<String, Map<String, T>> byPool, String pool, String keyId) {
        Map<String, T> byKey = byPool.get(pool);
        return byKey == null ? null : byKey.get(keyId);
    }

    private Counter grantedCounter(String pool, String keyId) {
        return Counter.builder(MetricNames.LEASES_GRANTED).description("Leases granted")
                .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, pool, MetricNames.TAG_KEY, keyId)
                .register(registry);
    }

    private EnumMap<RefusalCode, Counter> refusedCounters(String pool) {
        EnumMap<RefusalCode, Counter> byCode = new EnumMap<>(RefusalCode.class);
        for (RefusalCode code : RefusalCode.values()) {
            byCode.put(code, Counter.builder(MetricNames.LEASES_REFUSED).description("Acquires refused, by reason")
                    .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, pool, MetricNames.TAG_REASON, code.name())
                    .register(registry));
        }
        return byCode;
    }

    private EnumMap<Outcome, Counter> settledCounters(String pool, String keyId) {
        EnumMap<Outcome, Counter> byOutcome = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            byOutcome.put(outcome, Counter.builder(MetricNames.LEASES_SETTLED)
                    .description("Leases of this hub settled, by the provider outcome agents reported (EXPIRED: never reported)")
                    .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_POOL, pool, MetricNames.TAG_KEY, keyId,
                            MetricNames.TAG_OUTCOME, outcome.name())
                    .register(registry));
        }
        return byOutcome;
    }

    @Override
    public void onGranted(LeaseRecord lease) {
        Counter c = lookup(granted, lease.pool(), lease.keyId());
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void onRefused(String pool, Refusal refusal) {
        EnumMap<RefusalCode, Counter> byCode = pool == null ? null : refused.get(pool);
        (byCode != null ? byCode : refused.get(UNKNOWN_POOL)).get(refusal.code()).increment();
    }

    @Override
    public void onSettled(LeaseRecord lease, Settlement settlement) {
        if (!liveAndOwn(lease)) {
            return;
        }
        EnumMap<Outcome, Counter> byOutcome = lookup(settled, lease.pool(), lease.keyId());
        if (byOutcome != null) {
            byOutcome.get(settlement.outcome()).increment();
        }
        calls.tokensUsed(lease.pool(), lease.keyId(), settlement.tokensUsed());
    }

    @Override
    public void onCooldownApplied(LeaseRecord lease, Duration cooldown) {
        Timer t = cooldowns.get(lease.pool());
        if (t != null && liveAndOwn(lease)) {
            t.record(cooldown);
        }
    }

    /** Not a replay at start-up, nor the peer's lease (the peer counts its own). */
    private boolean liveAndOwn(LeaseRecord lease) {
        return ledger.current() != null && hubId.equals(lease.hubId());
    }
}
