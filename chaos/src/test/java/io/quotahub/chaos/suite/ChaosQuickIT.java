package io.quotahub.chaos.suite;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quick profile of the chaos suite in {@code ./mvnw verify}: one process cluster, every kind
 * of fault once, the checker's verdict per scenario. The table is printed and written with its
 * JSON and timeline under {@code chaos/target/chaos-report/}. Set {@code -Dchaos.seed=N} to replay.
 */
class ChaosQuickIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", ".."));

    @Test
    void quickProfilePassesEveryScenarioAndLeavesNoProcessRunning() throws Exception {
        long seed = Long.getLong("chaos.seed", System.currentTimeMillis() % 1_000_000);
        Path dir = ROOT.resolve("chaos/target/chaos-report");
        SuiteMain.Outcome o = SuiteMain.run(ROOT.toAbsolutePath().normalize(), Profile.quick(), seed, dir);

        assertThat(Files.exists(dir.resolve("chaos-report.json"))).isTrue();
        assertThat(Files.size(dir.resolve("timeline.png"))).isPositive();
        assertThat(o.report().passed()).as(o.report().table()).isTrue();
    }
}
