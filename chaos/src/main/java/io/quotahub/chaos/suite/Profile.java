package io.quotahub.chaos.suite;

import java.util.List;

/**
 * What a run does: which scenarios, how long each phase holds, how long the random mix runs.
 *
 * @param name          quick or full
 * @param scenarios     scenario names in order
 * @param holdMillis    how long a fault stays in force
 * @param settleMillis  load before a fault and after its heal
 * @param mixMillis     length of the random mix
 */
public record Profile(String name, List<String> scenarios, long holdMillis, long settleMillis, long mixMillis) {

    /** Every scenario, in the order a full run plays them. */
    public static final List<String> ALL = List.of("burst", "sustained", "quota-exhaustion", "multi-key-failover",
            "kill-hub-main", "kill-hub-edge", "pause-hub-main", "pause-hub-edge", "kill-nats-main", "kill-nats-edge",
            "split-cut", "split-blackhole", "restart-both-hubs", "agent-crash", "clock-skew", "random-mix");

    /** The quick profile of {@code ./mvnw verify}: each kind of fault once, on one side. */
    public static Profile quick() {
        return new Profile("quick", List.of("burst", "sustained", "quota-exhaustion", "multi-key-failover", "kill-hub-main",
                "pause-hub-edge", "kill-nats-edge", "split-cut", "split-blackhole", "restart-both-hubs", "agent-crash",
                "clock-skew", "random-mix"), 3_000, 2_000, 25_000);
    }

    /**
     * The full profile: every scenario with longer holds, then the random mix for the rest of
     * {@code durationSeconds} (at least 60 s of mix).
     */
    public static Profile full(long durationSeconds) {
        return new Profile("full", ALL, 6_000, 4_000, Math.max(60_000, durationSeconds * 1000 - 330_000));
    }

    /** Only the named scenarios (comma-separated), in the given order. */
    public Profile only(String scenarios) {
        List<String> names = List.of(scenarios.split(","));
        for (String n : names) {
            if (!ALL.contains(n)) {
                throw new IllegalArgumentException("unknown scenario '" + n + "'; one of " + ALL);
            }
        }
        return new Profile(name, names, holdMillis, settleMillis, mixMillis);
    }
}
