package io.quotahub.engine.view;

import io.quotahub.engine.LimitKind;

import java.time.Duration;
import java.time.Instant;

/**
 * A limit as the dashboard and the state endpoint show it.
 *
 * @param used     units in the current window, all hubs' leases (settled in the window + unsettled)
 * @param budget   this hub's budget of the limit
 * @param resetAt  when the oldest unit in the window leaves it (null if the window is empty)
 */
public record LimitView(LimitKind kind, long capacity, Duration per, String calendarDayZone, long used, long budget,
                        long remaining, Instant resetAt) {
}
