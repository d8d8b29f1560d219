package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.annotation.Context;
import io.quotahub.engine.CircuitState;
import io.quotahub.engine.Health;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Zone;
import io.quotahub.engine.view.EngineView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.hub.replication.PeerView;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The hub's gauges (and its takeover counters), registered once at start-up; the per-limit and
 * per-key series follow the engine's configuration (a reload adds and removes them). Every gauge reads one {@link Snapshot} of the engine's
 * {@code view()} and of the runtime, taken at most every {@link #MAX_AGE} and only when read (so a
 * scrape computes the view once, not once per gauge, and nothing runs between scrapes).
 *
 * <p>Tag {@code limit} is the limit's {@link LimitRef#toString() wire form}: {@code pool/key#i}
 * for the i-th limit of a key, {@code pool#i} for the i-th limit of the pool itself (whose
 * {@code key} tag is empty); i is the position in the configuration's {@code limits} list. Tag
 * values are pool names, key ids and enum names from the configuration: never a secret.
 */
@Context
public class HubGauges {

    /** How old a snapshot may be when a gauge is read. */
    static final Duration MAX_AGE = Duration.ofMillis(250);

    private final QuotaEngine engine;
    private final HubReadout runtime;
    /** Which limits and keys the series are of: the engine's configuration, again after a reload. */
    private volatile Layout layout;

    /** The limits and keys of one configuration, in series order. */
    record Layout(EngineConfig source, List<LimitRef> limits, Map<LimitRef, Integer> limitIndex, List<String[]> keys,
                  Map<String, Integer> keyIndex) {
        static Layout of(EngineConfig config, List<LimitRef> limits) {
            Map<LimitRef, Integer> limitIndex = new HashMap<>();
            for (int i = 0; i < limits.size(); i++) {
                limitIndex.put(limits.get(i), i);
            }
            List<String[]> keys = new ArrayList<>();
            Map<String, Integer> keyIndex = new HashMap<>();
            for (PoolSpec pool : config.pools()) {
                for (KeySpec key : pool.keys()) {
                    keyIndex.put(id(pool.name(), key.id()), keys.size());
                    keys.add(new String[] {pool.name(), key.id()});
                }
            }
            return new Layout(config, List.copyOf(limits), limitIndex, keys, keyIndex);
        }
    }

    /** The layout of the engine's configuration now (a reload adds and removes series). */
    private Layout layout() {
        EngineConfig now = engine.config();
        Layout l = layout;
        if (l.source() != now) {
            l = Layout.of(now, engine.limitRefs());
            layout = l;
        }
        return l;
    }
    private volatile Snapshot snapshot;

    /** One consistent read of everything the gauges show; arrays indexed like the registered series. */
    record Snapshot(Layout layout, long takenAtNanos, double[] used, double[] capacity, double[] budget, double[] utilization,
                    double[] temperature, Zone[] zone, CircuitState[] circuit, double[] cooldownSeconds,
                    double[] nextCooldownSeconds, double[] learnedCooldownSeconds, boolean[] disabled, double healthScore, int openLeases, int[] agentsByHealth,
                    double replicationLagSeconds, PeerStatus peerStatus, boolean ready) {
    }

    public HubGauges(MeterRegistry meterRegistry, HubReadout runtime, QuotaEngine engine, HubSettings settings,
                     ConfigAgreement agreement) {
        MeterRegistry registry = PerKeyRegistry.of(meterRegistry);
        this.engine = engine;
        this.runtime = runtime;
        this.layout = Layout.of(engine.config(), engine.limitRefs());
        Tags hub = Tags.of(MetricNames.TAG_HUB, settings.hubId());
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            // per-limit and per-key series: one collector, not ≈ 15 Micrometer meters per key; it
            // follows the layout of each snapshot, so a reload's keys and limits come and go
            prometheus.getPrometheusRegistry().register(new KeySeriesCollector(this::current, settings.hubId()));
        } else {
            registerKeySeries(registry, hub, layout.keys()); // the start-up's keys (tests' simple registries)
        }

        gauge(registry, MetricNames.HUB_HEALTH, "Hub health score 0-100", hub, Snapshot::healthScore);
        for (Health h : Health.values()) {
            gauge(registry, MetricNames.AGENTS, "Agents known from heartbeats, by health",
                    hub.and(MetricNames.TAG_HEALTH, h.name()), s -> s.agentsByHealth[h.ordinal()]);
        }
        gauge(registry, MetricNames.OPEN_LEASES, "Leases open now (both hubs')", hub, Snapshot::openLeases);
        gauge(registry, MetricNames.HUB_READY, "1 when this hub is ready to grant", hub, s -> s.ready ? 1 : 0);
        // the pools' version, whether the peer runs the same, whether a raise waits for it (QuotaHubConfigMismatch)
        Gauge.builder(MetricNames.CONFIG_VERSION, agreement, a -> a.own().version())
                .description("Version of the pools this hub runs (its newest reload; 0: none recorded)").tags(hub).register(registry);
        Gauge.builder(MetricNames.CONFIG_HOLDING_RAISES, engine, e -> e.holdingRaises() ? 1 : 0)
                .description("1 while the extra room of a raised limit waits for the peer to fold the reload").tags(hub)
                .register(registry);

        if (settings.hasPeer()) {
            Tags peer = hub.and(MetricNames.TAG_PEER, settings.peerId());
            Gauge.builder(MetricNames.CONFIG_MISMATCH, agreement, a -> a.mismatch() ? 1 : 0)
                    .description("1 while the peer announces other pools (another digest) than this hub runs")
                    .tags(peer).register(registry);
            gauge(registry, MetricNames.REPLICATION_LAG, "Time from the peer writing its last event to this hub applying it",
                    peer, Snapshot::replicationLagSeconds);
            for (PeerStatus st : PeerStatus.values()) {
                gauge(registry, MetricNames.PEER_STATUS, "1 for the peer's current status",
                        peer.and(MetricNames.TAG_STATUS, st.name()), s -> s.peerStatus == st ? 1 : 0);
            }
            for (boolean declared : new boolean[] {false, true}) {
                FunctionCounter.builder(MetricNames.TAKEOVERS, runtime, rt -> rt.takeovers(declared))
                        .description("Takeovers of the peer by this hub (declared: by operator declare-dead)")
                        .tags(peer.and(MetricNames.TAG_DECLARED, Boolean.toString(declared)))
                        .register(registry);
            }
            FunctionCounter.builder(MetricNames.HANDOVERS, runtime, HubReadout::handOvers)
                    .description("Planned hand-overs of the peer to this hub: a planned stop, not a failover")
                    .tags(peer)
                    .register(registry);
        }
    }

    /** The per-limit and per-key series as Micrometer gauges, for a registry that is not Prometheus's. */
    private void registerKeySeries(MeterRegistry registry, Tags hub, List<String[]> keys) {
        List<LimitRef> limits = layout.limits();
        for (int i = 0; i < limits.size(); i++) {
            LimitRef ref = limits.get(i);
            int j = i;
            Tags tags = hub.and(MetricNames.TAG_POOL, ref.pool(), MetricNames.TAG_KEY, ref.isPoolLimit() ? "" : ref.keyId(),
                    MetricNames.TAG_LIMIT, ref.toString());
            gauge(registry, MetricNames.LIMIT_USED, "Units in the current window, leases of both hubs", tags, s -> s.used[j]);
            gauge(registry, MetricNames.LIMIT_CAPACITY, "Capacity of the limit per window", tags, s -> s.capacity[j]);
            gauge(registry, MetricNames.LIMIT_BUDGET, "This hub's budget of the limit", tags, s -> s.budget[j]);
            gauge(registry, MetricNames.LIMIT_UTILIZATION, "Used / capacity, 0-1", tags, s -> s.utilization[j]);
        }
        for (int k = 0; k < keys.size(); k++) {
            int j = k;
            Tags tags = hub.and(MetricNames.TAG_POOL, keys.get(k)[0], MetricNames.TAG_KEY, keys.get(k)[1]);
            gauge(registry, MetricNames.KEY_TEMPERATURE, "Key temperature 0-100", tags, s -> s.temperature[j]);
            for (Zone z : Zone.values()) {
                gauge(registry, MetricNames.KEY_ZONE, "1 for the key's current thermal zone",
                        tags.and(MetricNames.TAG_ZONE, z.name()), s -> s.zone[j] == z ? 1 : 0);
            }
            for (CircuitState c : CircuitState.values()) {
                gauge(registry, MetricNames.KEY_CIRCUIT, "1 for the key's current circuit state",
                        tags.and(MetricNames.TAG_STATE, c.name()), s -> s.circuit[j] == c ? 1 : 0);
            }
            gauge(registry, MetricNames.KEY_COOLDOWN, "Seconds of cooldown left", tags, s -> s.cooldownSeconds[j]);
            gauge(registry, MetricNames.KEY_COOLDOWN_NEXT, "Seconds the next 429 without a Retry-After would cool the key for",
                    tags, s -> s.nextCooldownSeconds[j]);
            gauge(registry, MetricNames.KEY_COOLDOWN_LEARNED, "Seconds of cooldown the key learned from 429s right after its cooldowns",
                    tags, s -> s.learnedCooldownSeconds[j]);
            gauge(registry, MetricNames.KEY_DISABLED, "1 when the key is disabled (auth failure)", tags,
                    s -> s.disabled[j] ? 1 : 0);
        }
    }

    private void gauge(MeterRegistry registry, String name, String description, Tags tags, ToDoubleFunction<Snapshot> value) {
        Gauge.builder(name, this, g -> value.applyAsDouble(g.current()))
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }

    private static String id(String pool, String keyId) {
        return pool + '\u0000' + keyId;
    }

    /** The snapshot, taken anew if older than {@link #MAX_AGE}. */
    Snapshot current() {
        Snapshot s = snapshot;
        long now = System.nanoTime();
        if (s != null && now - s.takenAtNanos < MAX_AGE.toNanos()) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s == null || System.nanoTime() - s.takenAtNanos >= MAX_AGE.toNanos()) {
                s = take();
                snapshot = s;
            }
            return s;
        }
    }

    private Snapshot take() {
        EngineView view = engine.view();
        Layout l = layout();
        int n = l.limits().size();
        double[] used = new double[n];
        double[] capacity = new double[n];
        double[] budget = new double[n];
        double[] utilization = new double[n];
        int keys = l.keyIndex().size();
        double[] temperature = new double[keys];
        Zone[] zone = new Zone[keys];
        CircuitState[] circuit = new CircuitState[keys];
        double[] cooldown = new double[keys];
        double[] nextCooldown = new double[keys];
        double[] learnedCooldown = new double[keys];
        boolean[] disabled = new boolean[keys];
        for (PoolView pool : view.pools()) {
            putLimits(l, pool.limits(), i -> LimitRef.ofPool(pool.name(), i), used, capacity, budget, utilization);
            for (KeyView key : pool.keys()) {
                putLimits(l, key.limits(), i -> LimitRef.ofKey(pool.name(), key.id(), i), used, capacity, budget, utilization);
                Integer k = l.keyIndex().get(id(pool.name(), key.id()));
                if (k == null) {
                    continue;
                }
                temperature[k] = key.thermal().temperature();
                zone[k] = key.thermal().zone();
                circuit[k] = key.circuit();
                cooldown[k] = key.cooldownUntil() == null ? 0
                        : Math.max(0, Duration.between(view.at(), key.cooldownUntil()).toMillis() / 1000.0);
                nextCooldown[k] = key.nextCooldown().toMillis() / 1000.0;
                learnedCooldown[k] = key.learnedCooldown().toMillis() / 1000.0;
                disabled[k] = key.disabled();
            }
        }
        int[] agents = new int[Health.values().length];
        runtime.agentHealth().forEach(h -> agents[h.ordinal()]++);
        PeerView peer = runtime.peer().orElse(null);
        return new Snapshot(l, System.nanoTime(), used, capacity, budget, utilization, temperature, zone, circuit, cooldown,
                nextCooldown, learnedCooldown, disabled, view.thermal().healthScore(), view.openLeases(), agents,
                peer == null ? Double.NaN : peer.replicationLagMs() / 1000.0, peer == null ? null : peer.status(),
                runtime.ready());
    }

    private static void putLimits(Layout layout, List<LimitView> views, java.util.function.IntFunction<LimitRef> refOf, double[] used,
                                  double[] capacity, double[] budget, double[] utilization) {
        for (int i = 0; i < views.size(); i++) {
            Integer j = layout.limitIndex().get(refOf.apply(i));
            if (j == null) {
                continue;
            }
            LimitView l = views.get(i);
            used[j] = l.used();
            capacity[j] = l.capacity();
            budget[j] = l.budget();
            utilization[j] = l.capacity() <= 0 ? 0 : (double) l.used() / l.capacity();
        }
    }
}
