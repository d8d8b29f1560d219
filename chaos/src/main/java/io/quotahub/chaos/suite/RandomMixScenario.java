package io.quotahub.chaos.suite;

import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;

import java.util.ArrayList;
import java.util.List;

/** {@code random-mix}: random faults (by the seed) with demand shifting between sides, one fault at a time. */
final class RandomMixScenario implements Scenario {

    /** The full mix; the quick one leaves out the slow and the known-failing faults (see {@link Profile#quick}). */
    private static final List<FaultKind> FULL = List.of(FaultKind.KILL_HUB, FaultKind.PAUSE_HUB, FaultKind.KILL_NATS,
            FaultKind.SPLIT_CUT, FaultKind.SPLIT_BLACKHOLE, FaultKind.KILL_HUB, FaultKind.PAUSE_HUB, FaultKind.RESTART_BOTH);
    private static final List<FaultKind> QUICK = List.of(FaultKind.KILL_HUB, FaultKind.PAUSE_HUB, FaultKind.SPLIT_CUT,
            FaultKind.SPLIT_BLACKHOLE, FaultKind.PAUSE_HUB);

    @Override
    public String name() {
        return "random-mix";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        long end = System.nanoTime() + run.profile.mixMillis() * 1_000_000L;
        List<FaultKind> kinds = run.full() ? FULL : QUICK;
        List<Fault> faults = new ArrayList<>();
        run.allDemand(true);
        while (System.nanoTime() < end) {
            run.shiftDemand();
            Clock.sleep(1_000 + run.random.nextInt(2_000));
            FaultKind kind = kinds.get(run.random.nextInt(kinds.size()));
            String side = kind.sided() ? ChaosCluster.HUBS.get(run.random.nextInt(2)) : null;
            Fault f = run.nemesis.inject(kind, side);
            faults.add(f);
            long hold = 2_000 + run.random.nextInt(3_000);
            long holdEnd = System.nanoTime() + hold * 1_000_000L;
            while (System.nanoTime() < holdEnd) {
                Clock.sleep(Math.min(1_000, Math.max(0, (holdEnd - System.nanoTime()) / 1_000_000L)));
                if (run.random.nextInt(3) == 0) {
                    run.shiftDemand();
                }
            }
            run.healAndConverge(f);
        }
        Clock.sleep(run.profile.settleMillis());
        run.allDemand(false);
        return run.check("random-mix", start, Clock.now(), List.of("chaos"), faults);
    }
}
