package io.quotahub.engine.view;

import io.quotahub.engine.LimitKind;

import java.time.Duration;
import java.time.Instant;

/**
 * A limit as the dashboard and the state endpoint show it.
 *
 * @param used     units in the current window, all hubs' leases (settled in the window + unsettled)
 * @param budget   this hub's budget of the limit
 * @param remaining this hub's budget left: max(0, budget - usedByThisHub)
 * @param resetAt  when the oldest unit in the window leaves it (null if the window is empty)
 * @param usedByThisHub units of {@code used} counted against this hub's budget: its own leases and
 *                 those of a hub it took over
 * @param observedLimit the provider's limit as last reported, when it is lower than {@code capacity}
 *                 (null otherwise)
 * @param observedAt when that report was read (null with {@code observedLimit})
 * @param enforced the capacity the engine enforces: {@code capacity}, or the observed limit when the
 *                 pool learns limits ({@code budget} is then this hub's share of it)
 */
public record LimitView(LimitKind kind, long capacity, Duration per, String calendarDayZone, long used, long budget,
                        long remaining, Instant resetAt, long usedByThisHub, Long observedLimit, Instant observedAt,
                        long enforced) {
}
