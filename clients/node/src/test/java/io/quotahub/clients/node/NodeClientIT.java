package io.quotahub.clients.node;

import io.quotahub.chaos.cluster.ProcessCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Builds the Node SDK ({@code clients/node}) and runs its {@code node --test} suites: {@code npm ci}
 * (dependencies exactly as {@code package-lock.json} pins them), {@code npm run build} (protobuf code
 * generated from {@code proto/src/main/protobuf/quotahub.proto} by buf + protoc-gen-es, then tsc),
 * the unit tests (no NATS), then the integration tests against two real hubs: both nats-servers and
 * both hub jars as processes ({@link ProcessCluster}, agents' NATS user with production
 * permissions). The suite gets the servers, the agents' user file, the hubs' HTTP URLs, a viewer
 * token and the hubs' process ids in the environment; every command and its output is printed,
 * and the build fails when one fails. Skipped without node ≥ 20 and npm.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeClientIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "../.."));
    private static final Path CLIENT = Path.of(System.getProperty("node.client.dir", "."));
    /** Small windows, so refusals and waits show within seconds; each hub holds half of every limit. */
    private static final String POOLS = """
              pools:
                ts:
                  keys:
                    - { id: k1, secret-env: QH_TS_K1, limits: [ { requests: 1000, per: 1m } ] }
                refuse:
                  keys:
                    - { id: r1, secret-env: QH_TS_K2, limits: [ { requests: 2, per: 1h } ] }
                wait:
                  keys:
                    - { id: w1, secret-env: QH_TS_K3, limits: [ { requests: 2, per: 3s } ] }
                authy:
                  keys:
                    - { id: a1, secret-env: QH_TS_K4, limits: [ { requests: 100, per: 1m } ] }
                hb:
                  keys:
                    - { id: h1, secret-env: QH_TS_K5, limits: [ { requests: 100, per: 1m } ] }
                hbdead:
                  keys:
                    - { id: d1, secret-env: QH_TS_K6, limits: [ { requests: 100, per: 1m } ] }
            """;
    /** A silent agent is dead after 2 s, so the heartbeat test sees a reclaim quickly. */
    private static final String EXTRA = """
              agent-dead-after: 2s
            """;

    private static ProcessCluster cluster;
    private static String npm;
    private static String node;

    @BeforeAll
    static void checkNode() {
        node = version("node", "--version");
        npm = version("npm", "--version");
        Assumptions.assumeTrue(node != null && npm != null,
                "node and npm are not installed: the Node SDK's tests are skipped (.ci/run installs them: apt-get install -y nodejs npm)");
        int major = Integer.parseInt(node.replaceFirst("^v", "").split("\\.")[0]);
        Assumptions.assumeTrue(major >= 20, "node " + node + " is older than 20: the Node SDK's tests are skipped");
        System.out.println("[node-sdk] node " + node + ", npm " + npm + ", in " + CLIENT.toAbsolutePath().normalize());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void theSdkBuildsAndItsUnitTestsPass() throws Exception {
        run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 10);
        run(List.of("npm", "run", "build"), Map.of(), 5);
        String output = run(List.of("npm", "run", "test:unit"), Map.of(), 5);
        assertThat(output).contains("ℹ fail 0").doesNotContain("ℹ pass 0");
    }

    @Test
    @Order(2)
    void theSdksIntegrationTestsPassAgainstTwoRealHubs() throws Exception {
        Assumptions.assumeTrue(CLIENT.resolve("dist/test/it").toFile().isDirectory(), "the SDK was not built");
        cluster = ProcessCluster.start(ROOT, POOLS, List.of("QH_TS_K1", "QH_TS_K2", "QH_TS_K3", "QH_TS_K4", "QH_TS_K5",
                "QH_TS_K6"), EXTRA);
        Map<String, String> env = Map.of(
                "QH_NATS_SERVERS", String.join(",", cluster.agentServers("main")),
                "QH_AGENT_USERPASS", cluster.agentCredentials().toString(),
                "QH_HUB_URLS", "main=" + cluster.hubUrl("main") + ",edge=" + cluster.hubUrl("edge"),
                "QH_VIEWER_TOKEN", cluster.token("VIEWER"),
                "QH_HUB_PIDS", "main=" + cluster.hub("main").pid() + ",edge=" + cluster.hub("edge").pid());
        String output = run(List.of("npm", "run", "test:it"), env, 5);
        assertThat(output).as("the suite ran tests, none skipped for want of hubs")
                .contains("ℹ fail 0").doesNotContain("ℹ pass 0").doesNotContain("QH_NATS_SERVERS is not set");
    }

    /** Runs a command in clients/node, prints it and its output; fails on a non-zero exit. */
    private static String run(List<String> command, Map<String, String> env, int minutes) throws Exception {
        System.out.println("[node-sdk] running: " + String.join(" ", command));
        ProcessBuilder pb = new ProcessBuilder(command).directory(CLIENT.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("NO_COLOR", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (var in = p.getInputStream()) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    String s = new String(buf, 0, n, StandardCharsets.UTF_8);
                    System.out.print(s);
                    synchronized (out) {
                        out.append(s);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        boolean ended = p.waitFor(minutes, TimeUnit.MINUTES);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        reader.join(10_000);
        String output;
        synchronized (out) {
            output = out.toString();
        }
        assertThat(ended).as("%s ended within %d minutes", command, minutes).isTrue();
        assertThat(p.exitValue()).as("exit code of %s; its output:\n%s", command, output).isZero();
        return output;
    }

    /** The first line {@code <tool> <arg>} prints, or null when the tool is missing or fails. */
    private static String version(String tool, String arg) {
        try {
            Process p = new ProcessBuilder(tool, arg).redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && !v.isEmpty() ? v.lines().findFirst().orElse(v) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
