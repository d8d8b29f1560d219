package io.quotahub.chaos.suite;

import io.quotahub.chaos.nemesis.FaultKind;

/**
 * {@code clock-skew}: hub-edge restarted with its wall clock 3 s ahead, load on both sides, then
 * restarted with a true clock. SKIP where the nemesis cannot skew a clock (no libfaketime).
 */
final class ClockSkewScenario implements Scenario {

    private final FaultScenario skew = new FaultScenario("clock-skew", FaultKind.CLOCK_SKEW, "edge");

    @Override
    public String name() {
        return "clock-skew";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        String why = run.nemesis.unsupported(FaultKind.CLOCK_SKEW);
        if (why != null) {
            ScenarioResult r = new ScenarioResult("clock-skew", Clock.now(), Clock.now());
            r.skipped = true;
            r.details.put("skipped", why);
            run.log.accept("clock-skew skipped: " + why);
            return r;
        }
        return skew.play(run);
    }
}
