package io.quotahub.engine.view;

import io.quotahub.engine.LimitRef;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One limit's budgets across hubs, as this engine has folded them (docs/architecture.md, "Budgets and the split"). Two
 * engines that folded the same budget events show the same budgets and in-flight units; with the
 * same grants and settles folded in causal order they also show the same use.
 *
 * @param capacity     the limit's capacity per window
 * @param budgetByHub  B_h of every hub with a budget (sorted by hub id). Negative only after a
 *                     declared-dead takeover raced with a transfer of the (alive) peer; the sum
 *                     with {@code inFlight} never exceeds the capacity (I1)
 * @param usedByHub    units in the current window (settled in it + unsettled) counted against each
 *                     hub's budget: leases of a hub taken over count for the survivor
 * @param inFlight     units given away by a Transfer that no TransferApplied has received yet (&gt;= 0)
 */
public record BudgetView(LimitRef ref, long capacity, Map<String, Long> budgetByHub, Map<String, Long> usedByHub,
                         long inFlight) {

    public BudgetView {
        budgetByHub = Collections.unmodifiableMap(new TreeMap<>(budgetByHub));
        usedByHub = Collections.unmodifiableMap(new TreeMap<>(usedByHub));
    }

    /** Σ budgets + in flight: never more than {@link #capacity()} (I1). */
    public long committed() {
        long sum = inFlight;
        for (long b : budgetByHub.values()) {
            sum += b;
        }
        return sum;
    }
}
