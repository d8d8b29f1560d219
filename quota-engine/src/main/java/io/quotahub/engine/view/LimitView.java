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
 */
public record LimitView(LimitKind kind, long capacity, Duration per, String calendarDayZone, long used, long budget,
                        long remaining, Instant resetAt, long usedByThisHub) {
}
