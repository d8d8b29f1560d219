package io.quotahub.chaos.suite;

import io.quotahub.chaos.nemesis.FaultKind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every scenario of {@link Profile#ALL}, by name. */
final class Scenarios {

    private static final Map<String, Scenario> BY_NAME = new LinkedHashMap<>();

    static {
        for (Scenario s : List.of(new BurstScenario(), new SustainedScenario(), new QuotaExhaustionScenario(),
                new MultiKeyFailoverScenario(),
                new FaultScenario("kill-hub-main", FaultKind.KILL_HUB, "main"),
                new FaultScenario("kill-hub-edge", FaultKind.KILL_HUB, "edge"),
                new FaultScenario("pause-hub-main", FaultKind.PAUSE_HUB, "main"),
                new FaultScenario("pause-hub-edge", FaultKind.PAUSE_HUB, "edge"),
                new FaultScenario("kill-nats-main", FaultKind.KILL_NATS, "main"),
                new FaultScenario("kill-nats-edge", FaultKind.KILL_NATS, "edge"),
                new FaultScenario("split-cut", FaultKind.SPLIT_CUT, null),
                new FaultScenario("split-blackhole", FaultKind.SPLIT_BLACKHOLE, null),
                new FaultScenario("restart-both-hubs", FaultKind.RESTART_BOTH, null),
                new AgentCrashScenario(), new ClockSkewScenario(), new HostileAgentScenario(), new CrossLanguageScenario(),
                new ExternalUseScenario(), new BlocksScenario(), new ReloadUnderFaultsScenario(),
                new RandomMixScenario())) {
            BY_NAME.put(s.name(), s);
        }
        if (!List.copyOf(BY_NAME.keySet()).equals(Profile.ALL)) {
            throw new IllegalStateException("scenarios " + BY_NAME.keySet() + " differ from Profile.ALL " + Profile.ALL);
        }
    }

    private Scenarios() {
    }

    /** @throws IllegalArgumentException for an unknown name */
    static Scenario named(String name) {
        Scenario s = BY_NAME.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown scenario " + name);
        }
        return s;
    }
}
