package io.quotahub.hub.replication;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.LimitRef;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides how much budget this hub hands its peer (docs/architecture.md, "Rebalancing"). Both hubs compute
 * the same target split of every limit from both demands — proportional, with a floor per hub so
 * a quiet side can start at once — and only the hub above its target acts, giving away what it
 * holds above the target (the engine then gives only unused headroom).
 */
public final class Rebalancer {

    private static final double IDLE = 0.05;

    private final double floor;
    private final double initialShare;

    /**
     * @param floor        share (0–0.5) each hub keeps whatever the demand
     * @param initialShare this hub's share when neither side has demand
     */
    public Rebalancer(double floor, double initialShare) {
        if (floor < 0 || floor > 0.5) {
            throw new IllegalArgumentException("floor must be in [0, 0.5], was " + floor);
        }
        this.floor = floor;
        this.initialShare = initialShare;
    }

    /** This hub's target share of a pool's limits. */
    public double share(double ownDemand, double peerDemand) {
        double total = ownDemand + peerDemand;
        if (total < IDLE) {
            return initialShare;
        }
        return floor + (1 - 2 * floor) * (ownDemand / total);
    }

    /** Units per limit this hub should give its peer now (empty when at or below its targets). */
    public Map<LimitRef, Long> toGive(List<BudgetView> table, String ownHub, Map<String, Double> ownDemand,
                                      Map<String, Double> peerDemand) {
        Map<LimitRef, Long> give = new LinkedHashMap<>();
        for (BudgetView limit : table) {
            String pool = limit.ref().pool();
            double share = share(ownDemand.getOrDefault(pool, 0.0), peerDemand.getOrDefault(pool, 0.0));
            // rounded, not floored: both hubs' targets then add up to the capacity even for tiny limits
            long target = Math.round(share * limit.capacity());
            long own = limit.budgetByHub().getOrDefault(ownHub, 0L);
            long excess = own - target;
            long threshold = Math.max(1, limit.capacity() / 100);
            if (excess >= threshold) {
                give.put(limit.ref(), excess);
            }
        }
        return give;
    }
}
