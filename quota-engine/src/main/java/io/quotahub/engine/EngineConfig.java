package io.quotahub.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the engine needs to decide; immutable. Build with {@link #builder(String)}.
 *
 * @param hubId          this hub's id; lease ids are prefixed with it
 * @param budgetShares   initial share (0–1) of every limit per hub id; one hub gets 1.0
 * @param settleMargin   extra time a settled lease stays in a window, for agent-to-provider delay
 * @param leaseTtl       how long a lease may stay open before the hub settles it as expired
 */
public record EngineConfig(String hubId, List<PoolSpec> pools, Map<String, Double> budgetShares,
                           Duration settleMargin, Duration leaseTtl, CooldownConfig cooldown,
                           ThermalConfig thermal) {

    public EngineConfig {
        Objects.requireNonNull(hubId, "hubId");
        pools = List.copyOf(Objects.requireNonNull(pools, "pools"));
        budgetShares = Map.copyOf(Objects.requireNonNull(budgetShares, "budgetShares"));
        Objects.requireNonNull(settleMargin, "settleMargin");
        Objects.requireNonNull(leaseTtl, "leaseTtl");
        Objects.requireNonNull(cooldown, "cooldown");
        Objects.requireNonNull(thermal, "thermal");
        if (!budgetShares.containsKey(hubId)) {
            throw new IllegalArgumentException("budgetShares must include this hub " + hubId);
        }
        double sum = budgetShares.values().stream().mapToDouble(Double::doubleValue).sum();
        if (sum > 1.0 + 1e-9) {
            throw new IllegalArgumentException("budgetShares add up to " + sum + ", more than 1");
        }
        if (settleMargin.isNegative()) {
            throw new IllegalArgumentException("settleMargin must be >= 0, was " + settleMargin);
        }
        if (leaseTtl.isNegative() || leaseTtl.isZero()) {
            throw new IllegalArgumentException("leaseTtl must be > 0, was " + leaseTtl);
        }
        long distinct = pools.stream().map(PoolSpec::name).distinct().count();
        if (distinct != pools.size()) {
            throw new IllegalArgumentException("a pool name is used twice");
        }
    }

    /** Default of {@link Builder#settleMargin}: how long a settled call keeps counting past its window. */
    public static final Duration DEFAULT_SETTLE_MARGIN = Duration.ofMillis(250);
    /** Default of {@link Builder#leaseTtl}: an unsettled lease expires after this. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(60);

    public static Builder builder(String hubId) {
        return new Builder(hubId);
    }

    public static final class Builder {
        private final String hubId;
        private List<PoolSpec> pools = List.of();
        private Map<String, Double> budgetShares;
        private Duration settleMargin = DEFAULT_SETTLE_MARGIN;
        private Duration leaseTtl = DEFAULT_LEASE_TTL;
        private CooldownConfig cooldown = CooldownConfig.ofDefaults();
        private ThermalConfig thermal = ThermalConfig.ofDefaults();

        private Builder(String hubId) {
            this.hubId = Objects.requireNonNull(hubId, "hubId");
            this.budgetShares = Map.of(hubId, 1.0);
        }

        public Builder pools(List<PoolSpec> pools) {
            this.pools = pools;
            return this;
        }

        public Builder budgetShares(Map<String, Double> budgetShares) {
            this.budgetShares = budgetShares;
            return this;
        }

        public Builder settleMargin(Duration settleMargin) {
            this.settleMargin = settleMargin;
            return this;
        }

        public Builder leaseTtl(Duration leaseTtl) {
            this.leaseTtl = leaseTtl;
            return this;
        }

        public Builder cooldown(CooldownConfig cooldown) {
            this.cooldown = cooldown;
            return this;
        }

        public Builder thermal(ThermalConfig thermal) {
            this.thermal = thermal;
            return this;
        }

        public EngineConfig build() {
            return new EngineConfig(hubId, pools, budgetShares, settleMargin, leaseTtl, cooldown, thermal);
        }
    }
}
