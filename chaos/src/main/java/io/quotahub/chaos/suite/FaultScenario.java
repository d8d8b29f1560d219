package io.quotahub.chaos.suite;

import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;

import java.util.List;

/**
 * A nemesis scenario ({@code kill-hub-main}, {@code split-cut}, …): load with demand shifting
 * between sides, one fault, its heal, convergence, more load.
 *
 * @param name the scenario's name
 * @param kind the fault
 * @param side the side it hits, null for a fault of the link or of both hubs
 */
record FaultScenario(String name, FaultKind kind, String side) implements Scenario {

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        run.shiftDemand();
        Clock.sleep(run.profile.settleMillis());
        run.allDemand(true);
        Fault f = run.nemesis.inject(kind, side);
        Clock.sleep(run.profile.holdMillis());
        run.shiftDemand();
        run.healAndConverge(f);
        Clock.sleep(run.profile.settleMillis());
        run.allDemand(false);
        return run.check(name, start, Clock.now(), List.of("chaos"), List.of(f));
    }
}
