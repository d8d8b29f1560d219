package io.quotahub.engine.view;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.Health;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * @param cooldownUntil   null when the key is not cooling down
 * @param externalBooked  units of external use (counted by the provider, granted by no hub) booked
 *                        into the key's limits so far, by either hub: the sum of the rises of each
 *                        limit's external level (a level renewed or replaced by a lower one adds none)
 * @param nextCooldown    what the next 429 without a Retry-After would cool the key for (the ladder's
 *                        next step or what the key learned, whichever is longer), unless it is a relapse
 * @param learnedCooldown what the key learned from relapses; zero when nothing (the plain ladder)
 */
public record KeyView(String id, List<LimitView> limits, ThermalView thermal, CircuitState circuit, Health health,
                      int inFlight, int maxConcurrent, Instant cooldownUntil, boolean disabled,
                      long granted, long refused, long rateLimited, long errors, long externalBooked,
                      Duration nextCooldown, Duration learnedCooldown) {
}
