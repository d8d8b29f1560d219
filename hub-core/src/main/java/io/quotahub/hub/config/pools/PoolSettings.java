package io.quotahub.hub.config.pools;

import io.quotahub.engine.Enforcement;
import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;

import java.util.List;
import java.util.Objects;

/**
 * One pool as configured under {@code quotahub.pools.<name>}.
 *
 * @param keys          at least one; ids unique
 * @param limits        limits of the pool's keys together
 * @param maxConcurrent leases of the whole pool held at once; 0 means no limit
 * @param preset        burst protection and thermal thresholds ({@code STANDARD} when unset)
 * @param policy        what one agent may do in the pool ({@code max-tokens-per-call},
 *                      {@code max-open-leases-per-agent}, {@code max-share-per-agent},
 *                      {@code high-priority-agents})
 * @param learnLimits   {@code learn-limits}: a provider limit reported lower than a key's configured
 *                      one becomes the limit the hubs enforce (default false)
 * @param enforcement   {@code mode} (enforce, shadow, canary) and {@code enforce-percent}
 * @param fallback      {@code fallback}: the pools tried in order when this one has no room (checked:
 *                      they exist, and no pool reaches itself through them)
 * @param blocks        {@code blocks: {max-calls, expiry}}: blocks of calls for the Java SDK (off by default)
 */
public record PoolSettings(String name, List<KeySettings> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset,
                           PoolPolicy policy, boolean learnLimits, Enforcement enforcement, List<String> fallback,
                           BlockPolicy blocks) {

    /** An enforced pool without fallback pools or blocks. */
    public PoolSettings(String name, List<KeySettings> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset,
                        PoolPolicy policy, boolean learnLimits) {
        this(name, keys, limits, maxConcurrent, preset, policy, learnLimits, Enforcement.ENFORCED, List.of(), BlockPolicy.off());
    }

    public PoolSettings {
        Objects.requireNonNull(name, "name");
        keys = List.copyOf(keys);
        limits = List.copyOf(limits);
        Objects.requireNonNull(preset, "preset");
        Objects.requireNonNull(policy, "policy");
        enforcement = enforcement == null ? Enforcement.ENFORCED : enforcement;
        fallback = List.copyOf(fallback == null ? List.of() : fallback);
        blocks = blocks == null ? BlockPolicy.off() : blocks;
    }

    /** The engine's spec of this pool with {@code usableKeys} (those whose secret could be read). */
    public PoolSpec spec(List<KeySpec> usableKeys) {
        return new PoolSpec(name, usableKeys, limits, maxConcurrent, preset, policy, learnLimits, enforcement, fallback, blocks);
    }
}
