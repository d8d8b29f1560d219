package io.quotahub.engine;

import java.util.List;
import java.util.Objects;

/**
 * A pool of keys agents ask for by name. Pool limits apply to the pool's keys together;
 * the preset supplies burst protection and thermal thresholds.
 *
 * @param maxConcurrent leases of the whole pool held at once; 0 means no limit
 * @param policy        what one agent may do in the pool (settle bound, fair share, who may use HIGH)
 * @param learnLimits   a provider limit reported lower than a key's configured one lowers the key's
 *                      limit to it (docs/architecture.md, "Observed limits"); never above the configured one
 * @param enforcement   whether the pool refuses, or only reports what it would refuse (shadow, canary;
 *                      docs/operations.md, "Shadow mode and canary")
 * @param fallback      the pools a lease may come from when this one has no room, in the order they
 *                      are tried (the hub tries them; the engine only carries the list)
 * @param blocks        whether agents may ask for blocks of calls (docs/architecture.md, "Block leases"); off by default
 */
public record PoolSpec(String name, List<KeySpec> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset,
                       PoolPolicy policy, boolean learnLimits, Enforcement enforcement, List<String> fallback,
                       BlockPolicy blocks) {

    /** A pool that grants no blocks. */
    public PoolSpec(String name, List<KeySpec> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset,
                    PoolPolicy policy, boolean learnLimits, Enforcement enforcement, List<String> fallback) {
        this(name, keys, limits, maxConcurrent, preset, policy, learnLimits, enforcement, fallback, BlockPolicy.off());
    }

    /** Settles may report at most this multiple of the pool's largest token limit unless configured. */
    public static final int DEFAULT_TOKENS_PER_CALL_FACTOR = 4;

    /** A pool with the default policy. */
    public PoolSpec(String name, List<KeySpec> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset) {
        this(name, keys, limits, maxConcurrent, preset, PoolPolicy.ofDefaults());
    }

    /** A pool that does not learn its keys' limits from provider reports. */
    public PoolSpec(String name, List<KeySpec> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset,
                    PoolPolicy policy) {
        this(name, keys, limits, maxConcurrent, preset, policy, false);
    }

    /** An enforced pool without fallback pools that grants no blocks. */
    public PoolSpec(String name, List<KeySpec> keys, List<LimitSpec> limits, int maxConcurrent, Preset preset,
                    PoolPolicy policy, boolean learnLimits) {
        this(name, keys, limits, maxConcurrent, preset, policy, learnLimits, Enforcement.ENFORCED, List.of());
    }

    /** This pool with {@code blocks} instead of its block policy. */
    public PoolSpec withBlocks(BlockPolicy blocks) {
        return new PoolSpec(name, keys, limits, maxConcurrent, preset, policy, learnLimits, enforcement, fallback, blocks);
    }

    public PoolSpec {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("pool name must not be blank");
        }
        keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
        limits = List.copyOf(Objects.requireNonNull(limits, "limits"));
        Objects.requireNonNull(preset, "preset");
        Objects.requireNonNull(policy, "policy");
        enforcement = enforcement == null ? Enforcement.ENFORCED : enforcement;
        fallback = List.copyOf(fallback == null ? List.of() : fallback);
        Objects.requireNonNull(blocks, "blocks");
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("maxConcurrent of pool " + name + " must be >= 0, was " + maxConcurrent);
        }
        long distinct = keys.stream().map(KeySpec::id).distinct().count();
        if (distinct != keys.size()) {
            throw new IllegalArgumentException("pool " + name + " lists a key id twice");
        }
    }

    /** Whether any of the pool's own or its keys' limits, or the pool itself, is not simply enforced. */
    public boolean hasShadow() {
        if (!enforcement.enforcesAll()) {
            return true;
        }
        for (LimitSpec l : limits) {
            if (!l.enforcement().enforcesAll()) {
                return true;
            }
        }
        for (KeySpec k : keys) {
            for (LimitSpec l : k.limits()) {
                if (!l.enforcement().enforcesAll()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The most tokens one settle may report: the policy's bound, else
     * {@value #DEFAULT_TOKENS_PER_CALL_FACTOR} x the largest token limit of the pool or its keys
     * (without token limits tokens count nowhere, and the bound is {@link LimitSpec#MAX_CAPACITY}).
     */
    public long maxTokensPerCall() {
        if (policy.maxTokensPerCall() > 0) {
            return policy.maxTokensPerCall();
        }
        long largest = 0;
        for (LimitSpec l : limits) {
            if (l.kind() == LimitKind.TOKENS) {
                largest = Math.max(largest, l.capacity());
            }
        }
        for (KeySpec k : keys) {
            for (LimitSpec l : k.limits()) {
                if (l.kind() == LimitKind.TOKENS) {
                    largest = Math.max(largest, l.capacity());
                }
            }
        }
        return largest == 0 ? LimitSpec.MAX_CAPACITY : Math.min(LimitSpec.MAX_CAPACITY, largest * DEFAULT_TOKENS_PER_CALL_FACTOR);
    }
}
