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
 * @param learning        how the cooldowns without a Retry-After lengthen after relapses and shorten
 *                        after successes
 */
public record CooldownConfig(List<Duration> ladder, int failuresToBlock, Duration blockFor, Duration openFor,
                             Duration maxCooldown, CooldownLearning learning) {

    public static final Duration DEFAULT_MAX_COOLDOWN = Duration.ofHours(1);

    /** With the default {@link #DEFAULT_MAX_COOLDOWN} and learning. */
    public CooldownConfig(List<Duration> ladder, int failuresToBlock, Duration blockFor, Duration openFor) {
        this(ladder, failuresToBlock, blockFor, openFor, DEFAULT_MAX_COOLDOWN);
    }

    /** With the default learning. */
    public CooldownConfig(List<Duration> ladder, int failuresToBlock, Duration blockFor, Duration openFor,
                          Duration maxCooldown) {
        this(ladder, failuresToBlock, blockFor, openFor, maxCooldown, CooldownLearning.ofDefaults());
    }

    public CooldownConfig {
        if (ladder == null || ladder.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("ladder must be a list of durations");
        }
        ladder = List.copyOf(ladder);
        if (learning == null) {
            throw new IllegalArgumentException("learning must be given (CooldownLearning.OFF to turn it off)");
        }
        for (Duration step : ladder) {
            if (step.isNegative() || step.isZero()) {
                throw new IllegalArgumentException("ladder steps must be > 0, was " + step);
            }
        }
        if (blockFor == null || blockFor.isNegative()) {
            throw new IllegalArgumentException("blockFor must be >= 0, was " + blockFor);
        }
        if (openFor == null || openFor.isNegative()) {
            throw new IllegalArgumentException("openFor must be >= 0, was " + openFor);
        }
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

    /** The breaker stays open 30 s and then lets one probe through (a block as long as the open period). */
    public static CooldownConfig ofDefaults() {
        return new CooldownConfig(
                List.of(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(30)),
                3, Duration.ofSeconds(30), Duration.ofSeconds(30), DEFAULT_MAX_COOLDOWN, CooldownLearning.ofDefaults());
    }

    /** A copy with another {@link #maxCooldown}. */
    public CooldownConfig withMaxCooldown(Duration maxCooldown) {
        return new CooldownConfig(ladder, failuresToBlock, blockFor, openFor, maxCooldown, learning);
    }

    /** A copy with another {@link #learning}. */
    public CooldownConfig withLearning(CooldownLearning learning) {
        return new CooldownConfig(ladder, failuresToBlock, blockFor, openFor, maxCooldown, learning);
    }
}
