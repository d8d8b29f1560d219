package io.quotahub.hub;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.env.Environment;
import io.micronaut.core.type.Argument;
import io.micrometer.core.instrument.MeterRegistry;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.config.CooldownSettings;
import io.quotahub.hub.config.ThermalSettings;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.PoolsConfigReader;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.config.LivePools;
import io.quotahub.hub.config.PoolsDigest;
import io.quotahub.hub.config.PoolsFiles;
import io.quotahub.hub.service.Reloads;
import io.quotahub.hub.config.pools.PoolsBinder;
import io.quotahub.hub.config.pools.PoolsSettings;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.metrics.EngineMetrics;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.PolicyMetrics;
import io.quotahub.hub.ledger.ShadowWatch;
import io.quotahub.hub.metrics.ProviderCallMetrics;
import io.quotahub.hub.replication.DemandCounter;
import io.quotahub.hub.replication.ReplicationSettings;
import io.quotahub.hub.service.AcquireService;
import io.quotahub.hub.service.AgentRegistry;
import io.quotahub.hub.service.InputBounds;
import io.quotahub.hub.service.RequestIndex;
import io.quotahub.hub.service.SettleService;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * Maps the configuration onto the engine and makes the hub's transport-independent collaborators
 * (engine, services, registries, guards). What needs the NATS connection is assembled by
 * {@link HubAssembly} once the server answers; {@link HubRuntime} runs both.
 */
@Factory
public class HubFactory {

    private static final Logger LOG = LoggerFactory.getLogger(HubFactory.class);

    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    /** The typed {@code quotahub.pools}: bound once, by the pools' one binder (a reload binds a fresh tree the same way). */
    @Singleton
    PoolsSettings poolsSettings(Environment environment) {
        return PoolsBinder.bind(environment.getProperty(PoolsBinder.PREFIX, Argument.mapOf(String.class, Object.class)).orElse(Map.of()));
    }

    @Singleton
    PoolsConfig poolsConfig(PoolsSettings settings) {
        PoolsConfig pools = new PoolsConfigReader(System::getenv).read(settings);
        pools.problems().forEach(problem -> LOG.warn("configuration: {}", problem));
        return pools;
    }

    /** The pools served now: a reload or a rotation replaces them. */
    @Singleton
    LivePools livePools(PoolsConfig pools, PoolsSettings settings) {
        return new LivePools(pools, settings);
    }

    @Singleton
    ConfigAgreement configAgreement(PoolsConfig pools, Clock clock) {
        return new ConfigAgreement(PoolsDigest.of(pools.pools()), clock.millis());
    }

    /** Reloads re-read the configuration files this process was started with. */
    @Singleton
    Reloads reloads(HubSettings settings, QuotaEngine engine, HubLedger ledger, LivePools live, ConfigAgreement agreement,
                    Clock clock, Environment environment, PolicyMetrics policyMetrics, GuardMetrics guardMetrics,
                    EngineMetrics engineMetrics) {
        // micronaut.config.files as Micronaut saw it: -D, MICRONAUT_CONFIG_FILES, or (tests) a property
        PoolsFiles files = PoolsFiles.of(environment.getProperty(PoolsFiles.PROPERTY, String.class)
                .orElse(System.getenv("MICRONAUT_CONFIG_FILES")));
        Reloads reloads = new Reloads(settings.hubId(), engine, ledger, live, files, System::getenv,
                agreement, clock, settings.hasPeer() ? settings.peerId() : null, settings.ledgerTimeout());
        reloads.onSwitch(pools -> { // the per-pool series of what a reload adds
            policyMetrics.follow(pools);
            guardMetrics.followPools(pools.stream().map(PoolSpec::name).toList());
            engineMetrics.follow(pools); // and the per-key lease counters of its new keys
        });
        return reloads;
    }

    @Singleton
    QuotaEngine engine(HubSettings settings, CooldownSettings cooldown, ThermalSettings thermal, PoolsConfig pools, Clock clock,
                       EngineListener listener) {
        EngineConfig config = EngineConfig.builder(settings.hubId())
                .pools(pools.pools())
                .leaseTtl(settings.leaseTtl())
                .settleMargin(settings.settleMargin())
                .budgetShares(settings.budgetShares())
                .cooldown(cooldown.toEngine(settings.maxCooldown()))
                .thermal(thermal.toEngine())
                .build();
        return new QuotaEngine(config, clock, listener);
    }

    @Singleton
    HubLedger hubLedger() {
        return new HubLedger();
    }

    @Singleton
    InputBounds inputBounds(HubSettings settings) {
        return new InputBounds(settings.maxFieldBytes(), settings.maxMessageBytes());
    }

    @Singleton
    GuardMetrics guardMetrics(MeterRegistry registry, HubSettings settings, PoolsConfig pools) {
        return new GuardMetrics(registry, settings.hubId(), pools.pools().stream().map(PoolSpec::name).toList());
    }

    @Singleton
    PolicyMetrics policyMetrics(MeterRegistry registry, HubSettings settings, PoolsConfig pools) {
        return new PolicyMetrics(registry, settings.hubId(), pools.pools());
    }

    @Singleton
    RequestIndex requestIndex(Clock clock, HubSettings settings, QuotaEngine engine, GuardMetrics metrics) {
        RequestIndex index = new RequestIndex(clock, settings.leaseTtl().plusMinutes(1), Duration.ofSeconds(10),
                leaseId -> engine.openLease(leaseId).isPresent(), settings.maxRequestIndex());
        metrics.watchRequestIndex(index::size, index.maxEntries());
        return index;
    }

    @Singleton
    DemandCounter demandCounter() {
        return new DemandCounter();
    }

    @Singleton
    AcquireService acquireService(QuotaEngine engine, HubLedger ledger, LivePools pools, RequestIndex requests, Clock clock,
                                  DemandCounter demand, HubSettings settings, InputBounds bounds, GuardMetrics metrics,
                                  PolicyMetrics policyMetrics, ShadowWatch shadows) {
        return new AcquireService(engine, ledger, pools, requests, clock, demand, settings.ledgerTimeout(), bounds, metrics,
                policyMetrics, shadows);
    }

    @Singleton
    ShadowWatch shadowWatch() {
        return new ShadowWatch();
    }

    @Singleton
    SettleService settleService(QuotaEngine engine, HubLedger ledger, Clock clock, HubSettings settings, InputBounds bounds,
                                GuardMetrics metrics, ProviderCallMetrics calls) {
        return new SettleService(engine, ledger, clock, settings.hubId(), settings.ledgerTimeout(), bounds, metrics, calls);
    }

    @Singleton
    AgentRegistry agentRegistry(Clock clock, HubSettings settings, QuotaEngine engine, GuardMetrics metrics) {
        AgentRegistry agents = new AgentRegistry(clock, settings.agentDeadAfter(), engine, settings.maxAgents(), metrics);
        metrics.watchAgentRegistry(agents::size, agents.maxAgents());
        return agents;
    }

    @Singleton
    ReplicationSettings replicationSettings(HubSettings settings) {
        return new ReplicationSettings(ReplicationSettings.ofDefaults().suspectAfter(), settings.takeoverAfter(),
                settings.rebalanceFloor(), settings.budgetShares().get(settings.hubId()));
    }
}
