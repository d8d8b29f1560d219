package io.quotahub.chaos.suite;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.chaos.report.Report;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ReportTest {

    @Test
    void aFailedScenarioFailsTheRunAndTheJsonParses(@TempDir Path dir) throws Exception {
        long t0 = Clock.now();
        ScenarioResult ok = new ScenarioResult("burst", t0, t0 + 1_000_000_000L);
        ok.leases = 20;
        ScenarioResult bad = new ScenarioResult("kill-hub-main", t0 + 1_000_000_000L, t0 + 3_000_000_000L);
        bad.failures.add("failover gap 1500 ms");
        Report report = new Report("quick", 42, t0, t0 + 3_000_000_000L, List.of(ok, bad), List.of(), List.of(), 4);
        report.write(dir, List.of(new Recorder.LeaseRec("a", "main", "chaos", "main", "c1", "l1", t0, t0 + 10)));

        assertThat(report.passed()).isFalse();
        assertThat(report.table()).contains("| burst").contains("FAIL kill-hub-main: failover gap 1500 ms").contains("CHAOS SUITE FAILED");
        Map<String, Object> json = ChaosJson.obj(ChaosJson.parse(Files.readString(dir.resolve("chaos-report.json"))));
        assertThat(json.get("passed")).isEqualTo(false);
        assertThat(ChaosJson.arr(json.get("scenarios"))).hasSize(2);
        assertThat(Files.size(dir.resolve("timeline.png"))).isPositive();
    }

    @Test
    void notesArePrintedUnderTheTableAndKeptInTheJson() {
        long t0 = Clock.now();
        ScenarioResult r = new ScenarioResult("hostile-agent", t0, t0 + 1);
        r.notes.add("honest calls: 150 alone, 140 beside the hostile agent (93 %, needs ≥ 80 %)");
        Report report = new Report("quick", 1, t0, t0 + 1, List.of(r), List.of(), List.of(), 4);

        assertThat(report.passed()).isTrue();
        assertThat(report.table()).contains("NOTE hostile-agent: honest calls: 150 alone, 140 beside the hostile agent");
        Map<String, Object> scenario = ChaosJson.obj(ChaosJson.arr(ChaosJson.obj(ChaosJson.parse(report.json())).get("scenarios")).get(0));
        assertThat(ChaosJson.arr(scenario.get("notes"))).hasSize(1);
    }

    @Test
    void aProcessLeftRunningFailsTheRun() {
        long t0 = Clock.now();
        ScenarioResult ok = new ScenarioResult("burst", t0, t0 + 1);
        Report report = new Report("quick", 1, t0, t0 + 1, List.of(ok), List.of(), List.of(12345L), 4);
        assertThat(report.passed()).isFalse();
        assertThat(report.table()).contains("processes left running: 1 of 4");
    }
}
