package io.quotahub.chaos.infra;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shipped systemd units supervise as promised: a crashed process is restarted, but at most 10
 * times an hour, and memory and CPU are bounded. {@code systemd-analyze verify} (when the machine
 * has it) must accept every line: it only warns about a value it cannot parse and ignores it, so
 * the test fails on any warning about the unit file itself.
 */
class SystemdUnitsTest {

    private static final Path UNITS = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize()
            .resolve("infra/systemd");

    @ParameterizedTest
    @ValueSource(strings = {"hub-main.service", "hub-edge.service", "nats-main.service", "nats-edge.service"})
    void restartsACrashAtMostTenTimesAnHour_andBoundsMemoryAndCpu(String unit) throws IOException {
        Map<String, Map<String, String>> sections = parse(Files.readAllLines(UNITS.resolve(unit)));

        assertThat(sections.get("Unit")).containsEntry("StartLimitIntervalSec", "3600").containsEntry("StartLimitBurst", "10");
        assertThat(sections.get("Service")).containsEntry("Restart", "always").containsEntry("CPUQuota", "150%")
                .containsKey("MemoryMax");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hub-main.service", "hub-edge.service", "nats-main.service", "nats-edge.service"})
    void systemdAnalyzeAcceptsEveryLine(String unit) throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assumeTrue(Files.isExecutable(analyze), "systemd-analyze is not installed: units only parsed");
        Process p = new ProcessBuilder(analyze.toString(), "verify", UNITS.resolve(unit).toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        List<String> problems = new ArrayList<>();
        for (String line : out.split("\n")) {
            // a binary this machine lacks (java, nats-server installed elsewhere) is not the unit's fault
            if (line.contains(unit) && !line.contains("is not executable")) {
                problems.add(line);
            }
        }
        assertThat(problems).as("systemd-analyze verify %s said:%n%s", unit, out).isEmpty();
    }

    /** Key=value lines per [Section]; comments and blank lines skipped, the last value of a key kept. */
    private static Map<String, Map<String, String>> parse(List<String> lines) {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                current = sections.computeIfAbsent(line.substring(1, line.length() - 1), s -> new LinkedHashMap<>());
            } else if (current != null && line.contains("=")) {
                current.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return sections;
    }
}
