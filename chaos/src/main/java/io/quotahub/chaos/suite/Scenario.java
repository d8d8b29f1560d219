package io.quotahub.chaos.suite;

/**
 * One named scenario of the suite (docs/chaos.md, "Scenarios"): it plays itself on the run's
 * cluster and returns what the checker found. {@link Scenarios} maps the names to them.
 */
interface Scenario {

    /** The name {@code --scenario} and the report use. */
    String name();

    /** Plays the scenario and judges it; may throw, after which the suite recovers the cluster. */
    ScenarioResult play(SuiteRun run);
}
