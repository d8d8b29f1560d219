package io.quotahub.chaos.containers;

import io.quotahub.chaos.report.Report;
import io.quotahub.chaos.suite.Clock;
import io.quotahub.chaos.suite.Profile;
import io.quotahub.chaos.suite.ScenarioResult;
import io.quotahub.chaos.suite.Suite;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The suite's scenarios on the container backend (NATS 2.10 images, the hubs in a JRE image,
 * Toxiproxy on the link). Skipped where Docker is not available.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerChaosIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();

    @Test
    void theSuiteScenariosPassOnContainers() throws Exception {
        Profile profile = new Profile("containers", List.of("burst", "sustained", "kill-hub-main", "pause-hub-edge",
                "kill-nats-edge", "split-cut", "split-blackhole", "agent-crash"), 3_000, 2_000, 0);
        long t0 = Clock.now();
        ContainerCluster cluster = ContainerCluster.start(ROOT, Suite.POOLS, Suite.SECRET_ENVS, Suite.EXTRA);
        List<ScenarioResult> results;
        Suite suite = new Suite(cluster, ROOT, profile, 1, line -> System.out.println("[chaos-containers] " + line));
        try {
            results = suite.run();
        } finally {
            suite.close();
            cluster.close();
        }
        Report report = new Report(profile.name(), 1, t0, Clock.now(), results, suite.nemesis().faults(), List.of(), 0);
        report.write(ROOT.resolve("chaos/target/chaos-report-containers"), suite.recorder().leases());
        System.out.print(report.table());

        assertThat(cluster.allStopped()).as("every container stopped").isTrue();
        assertThat(report.passed()).as(report.table()).isTrue();
    }
}
