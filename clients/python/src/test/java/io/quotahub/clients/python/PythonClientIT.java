package io.quotahub.clients.python;

import io.quotahub.chaos.cluster.ProcessCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the Python client's unittest suite ({@code clients/python/tests}) against two real hubs:
 * both nats-servers and both hub jars as processes ({@link ProcessCluster}, with HTTP tokens on).
 * The suite gets the hubs' URLs, an AGENT token and the hubs' process ids in the environment; its
 * output is printed, and the build fails when it fails. Without python3 the test is skipped.
 */
class PythonClientIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "../.."));
    private static final Path CLIENT = Path.of(System.getProperty("python.client.dir", "."));
    /** Small windows, so refusals and waits show within seconds; each hub holds half of every limit. */
    private static final String POOLS = """
              pools:
                py:
                  keys:
                    - { id: k1, secret-env: QH_PY_K1, limits: [ { requests: 1000, per: 1m } ] }
                refuse:
                  keys:
                    - { id: r1, secret-env: QH_PY_K2, limits: [ { requests: 2, per: 1h } ] }
                wait:
                  keys:
                    - { id: w1, secret-env: QH_PY_K3, limits: [ { requests: 2, per: 3s } ] }
                authy:
                  keys:
                    - { id: a1, secret-env: QH_PY_K4, limits: [ { requests: 100, per: 1m } ] }
                fails:
                  keys:
                    - { id: f1, secret-env: QH_PY_K5, limits: [ { requests: 100, per: 1m } ] }
                fails-async:
                  keys:
                    - { id: f2, secret-env: QH_PY_K6, limits: [ { requests: 100, per: 1m } ] }
                first:
                  fallback: [ spare ]
                  keys:
                    - { id: p1, secret-env: QH_PY_K7, limits: [ { requests: 2, per: 1h } ] }
                spare:
                  keys:
                    - { id: s1, secret-env: QH_PY_K8, limits: [ { requests: 100, per: 1m } ] }
            """;
    /** A silent agent is dead after 2 s, so the heartbeat test sees a reclaim quickly. */
    private static final String EXTRA = """
              agent-dead-after: 2s
            """;

    private static ProcessCluster cluster;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(python3() != null,
                "python3 is not installed: the Python client's tests are skipped (apt-get install -y python3)");
        cluster = ProcessCluster.start(ROOT, POOLS, List.of("QH_PY_K1", "QH_PY_K2", "QH_PY_K3", "QH_PY_K4", "QH_PY_K5", "QH_PY_K6",
                "QH_PY_K7", "QH_PY_K8"), EXTRA);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void thePythonClientsTestsPassAgainstTwoRealHubs() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(python3(), "-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v")
                .directory(CLIENT.toFile()).redirectErrorStream(true);
        pb.environment().put("QH_HUB_URLS", cluster.hubUrl("main") + "," + cluster.hubUrl("edge"));
        pb.environment().put("QH_AGENT_TOKEN", cluster.token("AGENT"));
        pb.environment().put("QH_HUB_PIDS", "main=" + cluster.hub("main").pid() + ",edge=" + cluster.hub("edge").pid());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        pb.environment().put("PYTHONUNBUFFERED", "1");
        Process python = pb.start();
        python.getOutputStream().close();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = python.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            python.destroyForcibly();
        }
        System.out.println("---- python3 -m unittest discover (clients/python/tests) ----\n" + output);

        assertThat(ended).as("the Python tests ended within 5 minutes").isTrue();
        assertThat(python.exitValue()).as("python3 -m unittest exit code; its output:\n%s", output).isZero();
        assertThat(output).as("the suite ran tests, none skipped for want of hubs").contains("OK").doesNotContain("skipped 'QH_HUB_URLS");
    }

    /** The python3 on the PATH, or null. */
    private static String python3() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? "python3" : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
