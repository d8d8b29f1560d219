package io.quotahub.chaos.observability;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs promtool (Debian package {@code prometheus}, installed by {@code .ci/run}) on the
 * Prometheus files in {@code infra/prometheus/}: the configuration and the rules must be valid and
 * the rule unit tests in {@code alerts_test.yml} must pass. Skipped only when promtool is absent.
 */
class AlertRulesTest {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private static final Path PROMETHEUS = ROOT.resolve("infra/prometheus");

    private static String promtool;

    @BeforeAll
    static void findPromtool() {
        promtool = findOnPath("promtool");
        assumeTrue(promtool != null,
                "promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it): alert rules not checked");
    }

    @Test
    void configurationIsValid() throws Exception {
        run("check", "config", "prometheus.yml");
    }

    @Test
    void rulesAreValid() throws Exception {
        run("check", "rules", "alerts.yml");
    }

    @Test
    void ruleUnitTestsPass() throws Exception {
        String output = run("test", "rules", "alerts_test.yml");
        assertThat(output).contains("SUCCESS");
    }

    /** Runs promtool in infra/prometheus, prints its output, asserts exit 0; returns the output. */
    private static String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(promtool);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(PROMETHEUS.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean exited = process.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        System.out.println("$ " + String.join(" ", command) + "   (in " + PROMETHEUS + ")\n" + output);
        assertThat(exited).as("promtool finished within 120 s").isTrue();
        assertThat(process.exitValue()).as("exit code of %s; output:%n%s", String.join(" ", command), output).isZero();
        return output;
    }

    private static String findOnPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return null;
    }
}
