package io.quotahub.chaos.observability;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs promtool (Debian package {@code prometheus}, installed by {@code .ci/run}) on the
 * Prometheus files in {@code infra/prometheus/}: the configuration and the rules must be valid and
 * the rule unit tests in {@code alerts_test.yml} must pass (skipped only when promtool is absent).
 * Without promtool: every alert has a severity, a summary, a description and a runbook link to a
 * section of {@code docs/operations.md} that exists.
 */
class AlertRulesTest {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private static final Path PROMETHEUS = ROOT.resolve("infra/prometheus");

    private static final Path OPERATIONS = ROOT.resolve("docs/operations.md");
    private static final String RUNBOOK_PREFIX = "https://github.com/quotahub/quotahub/blob/main/docs/operations.md#";

    private static String promtool() {
        String promtool = findOnPath("promtool");
        assumeTrue(promtool != null,
                "promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it): alert rules not checked");
        return promtool;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasASeveritySummaryDescriptionAndARunbookSectionThatExists() throws IOException {
        Set<String> anchors = new TreeSet<>();
        Matcher heading = Pattern.compile("(?m)^#+ (.+)$").matcher(Files.readString(OPERATIONS));
        while (heading.find()) {
            // GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes
            anchors.add(heading.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
        }
        List<String> problems = new ArrayList<>();
        int alerts = 0;
        try (InputStream in = Files.newInputStream(PROMETHEUS.resolve("alerts.yml"))) {
            Map<String, Object> doc = new Yaml().load(in);
            for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                    Object name = rule.get("alert");
                    if (name == null) {
                        continue;
                    }
                    alerts++;
                    Map<String, Object> labels = (Map<String, Object>) rule.getOrDefault("labels", Map.of());
                    Map<String, Object> annotations = (Map<String, Object>) rule.getOrDefault("annotations", Map.of());
                    if (!Set.of("critical", "warning").contains(String.valueOf(labels.get("severity")))) {
                        problems.add(name + ": severity must be critical or warning, is " + labels.get("severity"));
                    }
                    if (labels.get("alert_group") == null) {
                        problems.add(name + ": no alert_group label (Alertmanager's inhibition uses it)");
                    }
                    for (String a : List.of("summary", "description", "runbook_url")) {
                        if (String.valueOf(annotations.getOrDefault(a, "")).isBlank()) {
                            problems.add(name + ": no " + a);
                        }
                    }
                    String url = String.valueOf(annotations.getOrDefault("runbook_url", ""));
                    String expected = RUNBOOK_PREFIX + name.toString().toLowerCase(Locale.ROOT);
                    if (!url.equals(expected)) {
                        problems.add(name + ": runbook_url should be " + expected + ", is " + url);
                    } else if (!anchors.contains(name.toString().toLowerCase(Locale.ROOT))) {
                        problems.add(name + ": docs/operations.md has no section '### " + name + "'");
                    }
                }
            }
        }
        System.out.println("[alerts] " + alerts + " alerts checked against " + anchors.size() + " headings of docs/operations.md");
        assertThat(alerts).as("alerts in alerts.yml").isGreaterThanOrEqualTo(11);
        assertThat(problems).as("alert rules without what operators need").isEmpty();
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
        command.add(promtool());
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
