package io.quotahub.chaos.suite;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One row of the report: what the checker found for one scenario. */
public final class ScenarioResult {

    public final String scenario;
    public final long startedAt;
    public final long endedAt;
    public final List<String> faults = new ArrayList<>();
    public long leases;
    public long provider429;
    public String maxFill = "-";
    public double maxFillRatio;
    public long lost;
    /** Worst failover gap while a fault was in force (ms), -1 when no fault. */
    public long worstGapMs = -1;
    /** The bound that gap was checked against (ms), 0 when reported only. */
    public long gapBoundMs;
    public double goodput;
    /** Worst time from heal until both hubs agreed (ms), -1 when not measured. */
    public long convergenceMs = -1;
    public boolean skipped;
    public final List<String> failures = new ArrayList<>();
    /** Lines the table prints under itself whatever the verdict (e.g. a comparison the scenario made). */
    public final List<String> notes = new ArrayList<>();
    public final Map<String, Object> details = new LinkedHashMap<>();

    public ScenarioResult(String scenario, long startedAt, long endedAt) {
        this.scenario = scenario;
        this.startedAt = startedAt;
        this.endedAt = endedAt;
    }

    public boolean passed() {
        return failures.isEmpty();
    }

    public String verdict() {
        return skipped ? "SKIP" : passed() ? "PASS" : "FAIL";
    }
}
