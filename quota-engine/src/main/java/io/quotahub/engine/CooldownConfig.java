package io.quotahub.engine;

import java.time.Duration;
import java.util.List;

/**
 * Cooldown and circuit breaker settings (docs/architecture.md, "Cooldown and circuit breaker").
 *
 * @param ladder          cooldowns after consecutive 429s without a Retry-After (the last step repeats)
 * @param failuresToBlock consecutive failures that block the key and open its circuit
 * @param blockFor        how long such a block lasts
 * @param openFor         how long an open circuit waits before a half-open probe
 * @param maxCooldown     the longest cooldown one report can cause: a provider's Retry-After above it
 *                        is clamped (the report itself keeps the provider's value)
 */
public record CooldownConfig(List<Duration> ladder, int failuresToBlock, Duration blockFor, Duration openFor,
                             Duration maxCooldown) {

    public static final Duration DEFAULT_MAX_COOLDOWN = Duration.ofHours(1);

    /** With the default {@link #DEFAULT_MAX_COOLDOWN}. */
    public CooldownConfig(List<Duration> ladder, int failuresToBlock, Duration blockFor, Duration openFor) {
        this(ladder, failuresToBlock, blockFor, openFor, DEFAULT_MAX_COOLDOWN);
    }

    public CooldownConfig {
        ladder = List.copyOf(ladder);
        if (maxCooldown == null || maxCooldown.isNegative() || maxCooldown.isZero()) {
            throw new IllegalArgumentException("maxCooldown must be > 0, was " + maxCooldown);
        }
        if (ladder.isEmpty()) {
            throw new IllegalArgumentException("ladder must have at least one step");
        }
        if (failuresToBlock < 1) {
            throw new IllegalArgumentException("failuresToBlock must be >= 1, was " + failuresToBlock);
        }
    }

    public static CooldownConfig ofDefaults() {
        return new CooldownConfig(
                List.of(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(30)),
                3, Duration.ofMinutes(5), Duration.ofSeconds(30), DEFAULT_MAX_COOLDOWN);
    }

    /** A copy with another {@link #maxCooldown}. */
    public CooldownConfig withMaxCooldown(Duration maxCooldown) {
        return new CooldownConfig(ladder, failuresToBlock, blockFor, openFor, maxCooldown);
    }
}
