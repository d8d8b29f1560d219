package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.CooldownLearning;
import io.quotahub.hub.config.pools.DurationText;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys' cooldown and circuit breaker, under {@code quotahub.cooldown} (docs/architecture.md,
 * "Cooldown and circuit breaker"); anything unset keeps the engine's default. Durations are
 * written as in the pools ({@code 500ms}, {@code 10s}, {@code 5m}); every bad value names its key.
 *
 * @param ladder             cooldowns after consecutive 429s without a Retry-After, the last repeating
 *                           (default 1s, 3s, 10s, 30s)
 * @param failuresToBlock    consecutive failures (429 or error) that open the circuit and block the key (default 3)
 * @param blockFor           how long such a block lasts (default 30s: the probe comes when the circuit half-opens)
 * @param openFor            how long an open circuit waits before it lets one probe through (default 30s)
 * @param growth             a 429 right after a cooldown ended lengthens the next ones to growth × it;
 *                           2–16, 0 turns learning off (default 2)
 * @param successesToShorten OKs in a row that halve what a key learned (default 5)
 */
@ConfigurationProperties("quotahub.cooldown")
public record CooldownSettings(@Nullable List<String> ladder, @Nullable Integer failuresToBlock,
                               @Nullable String blockFor, @Nullable String openFor,
                               @Nullable Integer growth, @Nullable Integer successesToShorten) {

    static final String PREFIX = "quotahub.cooldown.";
    static final int MAX_STEPS = 32;
    static final int MAX_FAILURES = 1000;
    /** The longest step, block or open period: a week (a daily quota's reset is a day away). */
    static final Duration LONGEST = Duration.ofDays(7);

    public CooldownSettings {
        if (ladder != null) {
            if (ladder.isEmpty() || ladder.size() > MAX_STEPS) {
                throw new ConfigException(PREFIX + "ladder must list 1 to " + MAX_STEPS + " durations (e.g. [1s, 3s, 10s, 30s]), had "
                        + ladder.size());
            }
            for (int i = 0; i < ladder.size(); i++) {
                step(PREFIX + "ladder[" + i + "]", ladder.get(i), false);
            }
            ladder = List.copyOf(ladder);
        }
        if (failuresToBlock != null && (failuresToBlock < 1 || failuresToBlock > MAX_FAILURES)) {
            throw new ConfigException(PREFIX + "failures-to-block must be between 1 and " + MAX_FAILURES + ", was " + failuresToBlock);
        }
        if (blockFor != null) {
            step(PREFIX + "block-for", blockFor, true);
        }
        if (openFor != null) {
            step(PREFIX + "open-for", openFor, true);
        }
        if (growth != null && growth != 0 && (growth < 2 || growth > 16)) {
            throw new ConfigException(PREFIX + "growth must be 0 (no learning) or between 2 and 16, was " + growth);
        }
        if (successesToShorten != null && (successesToShorten < 1 || successesToShorten > MAX_FAILURES)) {
            throw new ConfigException(PREFIX + "successes-to-shorten must be between 1 and " + MAX_FAILURES + ", was "
                    + successesToShorten);
        }
    }

    /** Nothing set: the engine's defaults. */
    public static CooldownSettings defaults() {
        return new CooldownSettings(null, null, null, null, null, null);
    }

    private static Duration step(String key, Object raw, boolean zeroAllowed) {
        Duration d = DurationText.parse(key, raw);
        if (d.isNegative() || (!zeroAllowed && d.isZero()) || d.compareTo(LONGEST) > 0) {
            throw new ConfigException(key + " must be " + (zeroAllowed ? "between 0s" : "more than 0s") + " and at most 7d, was " + raw);
        }
        return d;
    }

    /** The engine's cooldown config: these settings over its defaults, with the hub's {@code maxCooldown}. */
    public CooldownConfig toEngine(Duration maxCooldown) {
        CooldownConfig d = CooldownConfig.ofDefaults();
        List<Duration> steps = d.ladder();
        if (ladder != null) {
            steps = new ArrayList<>();
            for (int i = 0; i < ladder.size(); i++) {
                steps.add(step(PREFIX + "ladder[" + i + "]", ladder.get(i), false));
            }
        }
        CooldownLearning learning = new CooldownLearning(growth != null ? growth : d.learning().growth(),
                successesToShorten != null ? successesToShorten : d.learning().successesToShorten());
        return new CooldownConfig(steps, failuresToBlock != null ? failuresToBlock : d.failuresToBlock(),
                blockFor != null ? step(PREFIX + "block-for", blockFor, true) : d.blockFor(),
                openFor != null ? step(PREFIX + "open-for", openFor, true) : d.openFor(), maxCooldown, learning);
    }
}
