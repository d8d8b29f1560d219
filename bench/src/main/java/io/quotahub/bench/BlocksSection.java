package io.quotahub.bench;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * All of docs/benchmarks.md section 8 in one sitting ({@code infra/quotahub bench blocks}): {@code uptime};
 * the JMH {@link BlockAcquireBenchmark} (its JSON into the results directory); {@link BlockCompare} (in
 * its own JVM, with its defaults unless told otherwise); {@link BlockFairness} (both scenarios and
 * their PNGs); {@code uptime}; then one Markdown file, {@code blocks-<date>.md}, with every table and
 * the load averages before and after, ready to paste into the section. Says what it is doing as it goes.
 *
 * <pre>java -cp bench/target/bench.jar io.quotahub.bench.BlocksSection [--out bench/results]
 *     [--jmh-forks 1 --jmh-wi 3 --jmh-w 2s --jmh-i 5 --jmh-r 2s] [--compare "--seconds 10 --warm 2"]
 *     [--png docs/block-fairness.png] [--spare-png docs/block-fairness-spare-room.png]</pre>
 */
public final class BlocksSection {

    private BlocksSection() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchCli.parse("BlocksSection", args, "out=bench/results", "jmh-forks=1", "jmh-wi=3", "jmh-w=2s",
                "jmh-i=5", "jmh-r=2s", "compare=(BlockCompare's defaults)", "png=docs/block-fairness.png",
                "spare-png=docs/block-fairness-spare-room.png");
        Path out = Path.of(o.getOrDefault("out", "bench/results"));
        Files.createDirectories(out);
        String date = LocalDate.now(ZoneOffset.UTC).toString();
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);

        step(1, "uptime before");
        String uptimeBefore = uptime();
        System.out.println(uptimeBefore);

        step(2, "JMH BlockAcquireBenchmark (-f " + o.getOrDefault("jmh-forks", "1") + " -wi " + o.getOrDefault("jmh-wi", "3")
                + " -w " + o.getOrDefault("jmh-w", "2s") + " -i " + o.getOrDefault("jmh-i", "5") + " -r " + o.getOrDefault("jmh-r", "2s")
                + " -prof gc)");
        Path jmhJson = out.resolve("jmh-block-acquire-" + date + ".json");
        Options jmh = new OptionsBuilder()
                .include(BlockAcquireBenchmark.class.getName() + "\\.")
                .forks(Integer.parseInt(o.getOrDefault("jmh-forks", "1")))
                .warmupIterations(Integer.parseInt(o.getOrDefault("jmh-wi", "3")))
                .warmupTime(TimeValue.fromString(o.getOrDefault("jmh-w", "2s")))
                .measurementIterations(Integer.parseInt(o.getOrDefault("jmh-i", "5")))
                .measurementTime(TimeValue.fromString(o.getOrDefault("jmh-r", "2s")))
                .addProfiler(GCProfiler.class)
                .resultFormat(ResultFormatType.JSON)
                .result(jmhJson.toString())
                .build();
        new Runner(jmh).run();
        String jmhTable = JmhBlockTable.markdown(JmhBlockTable.rows(Files.readString(jmhJson)));
        System.out.println(jmhTable);

        step(3, "BlockCompare (its own JVM: blocks vs per-call leases vs Redis, open loop)");
        List<String> compareArgs = o.containsKey("compare") && !o.get("compare").isBlank()
                ? Arrays.asList(o.get("compare").trim().split("\\s+")) : List.of();
        String compareTable = compareTable(runJava(BlockCompare.class, compareArgs));

        step(4, "BlockFairness (engine on a manual clock: the key with room, then the saturated key)");
        List<String> fairness = BlockFairness.runBoth(Path.of(o.getOrDefault("png", "docs/block-fairness.png")),
                Path.of(o.getOrDefault("spare-png", "docs/block-fairness-spare-room.png")), System.out);

        step(5, "uptime after");
        String uptimeAfter = uptime();
        System.out.println(uptimeAfter);

        Path md = out.resolve("blocks-" + date + ".md");
        Files.writeString(md, report(started, uptimeBefore, uptimeAfter, jmhJson, jmhTable, compareTable, fairness, o));
        step(6, "wrote " + md + " (tables ready for docs/benchmarks.md, section 8)");
    }

    static String report(Instant started, String uptimeBefore, String uptimeAfter, Path jmhJson, String jmhTable,
                         String compareTable, List<String> fairness, Map<String, String> o) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Section 8 (blocks), one run of ").append(started).append("\n\n");
        sb.append("`infra/quotahub bench blocks` (`io.quotahub.bench.BlocksSection`).\n\n");
        sb.append("Before: `").append(uptimeBefore).append("`  \nAfter: `").append(uptimeAfter).append("`\n\n");
        sb.append("## The in-process acquire (JMH `BlockAcquireBenchmark`)\n\n");
        sb.append(String.format("`-f %s -wi %s -w %s -i %s -r %s -prof gc`, one thread, ns per op (`AverageTime`, and `SampleTime`"
                        + " for the percentiles); `%s`\n\n", o.getOrDefault("jmh-forks", "1"), o.getOrDefault("jmh-wi", "3"),
                o.getOrDefault("jmh-w", "2s"), o.getOrDefault("jmh-i", "5"), o.getOrDefault("jmh-r", "2s"), jmhJson));
        sb.append(jmhTable).append('\n');
        sb.append("## Blocks beside per-call leases and Redis (`BlockCompare`)\n\n");
        sb.append(compareTable).append("\n\n");
        sb.append("## Block size and expiry: a key with room (`BlockFairness`, `SpareRoomFairness`)\n\n");
        sb.append(fairness.get(0)).append('\n');
        sb.append("![the key with room](../../").append(o.getOrDefault("spare-png", "docs/block-fairness-spare-room.png")).append(")\n\n");
        sb.append("## Block size and expiry: a saturated key (`BlockFairness`)\n\n");
        sb.append(fairness.get(1)).append('\n');
        sb.append("![the saturated key](../../").append(o.getOrDefault("png", "docs/block-fairness.png")).append(")\n");
        return sb.toString();
    }

    /** BlockCompare's Markdown table (from its header row to its caption line) out of its output. */
    static String compareTable(List<String> output) {
        List<String> table = new ArrayList<>();
        boolean in = false;
        for (String line : output) {
            if (line.startsWith("| offered/s")) {
                in = true;
                table.clear();
            }
            if (in) {
                table.add(line);
                if (line.startsWith("_")) {
                    in = false;
                }
            }
        }
        return table.isEmpty() ? "(BlockCompare printed no table: see its output above)" : String.join("\n", table);
    }

    private static void step(int n, String what) {
        System.out.println();
        System.out.println("==== [blocks " + n + "/6 " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "] " + what);
    }

    /** {@code uptime}'s line (the load averages), or /proc/loadavg's when there is no uptime. */
    private static String uptime() {
        try {
            List<String> lines = run(List.of("uptime"), false);
            if (!lines.isEmpty()) {
                return lines.get(0).trim();
            }
        } catch (IOException e) {
            // below
        }
        return "load average: " + Stats.loadAverage();
    }

    /** Runs {@code main} in a JVM of its own (this JVM's java and class path), echoing its output. */
    private static List<String> runJava(Class<?> main, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(args);
        System.out.println("running: java -cp " + System.getProperty("java.class.path") + " " + main.getName() + " " + String.join(" ", args));
        return run(cmd, true);
    }

    private static List<String> run(List<String> cmd, boolean echo) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (echo) {
                    System.out.println(line);
                }
            }
        }
        try {
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IOException("'" + String.join(" ", cmd.size() > 3 ? cmd.subList(3, cmd.size()) : cmd) + "' exited with " + rc);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroy();
            throw new IOException("interrupted", e);
        }
        return lines;
    }
}
