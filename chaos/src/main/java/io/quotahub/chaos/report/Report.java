package io.quotahub.chaos.report;

import io.quotahub.chaos.checker.MiniJson;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The run's table (printed), its JSON and its timeline picture, under one directory. */
public final class Report {

    private static final String[] HEAD = {"scenario", "faults", "leases", "429s", "max window fill", "lost",
        "worst gap", "goodput", "converged", "result"};

    private final String profile;
    private final long seed;
    private final long startedAt;
    private final long endedAt;
    private final List<ScenarioResult> results;
    private final List<Fault> faults;
    private final List<Long> leftRunning;
    private final int pidsStarted;

    public Report(String profile, long seed, long startedAt, long endedAt, List<ScenarioResult> results, List<Fault> faults,
            List<Long> leftRunning, int pidsStarted) {
        this.profile = profile;
        this.seed = seed;
        this.startedAt = startedAt;
        this.endedAt = endedAt;
        this.results = results;
        this.faults = faults;
        this.leftRunning = leftRunning;
        this.pidsStarted = pidsStarted;
    }

    public boolean passed() {
        return leftRunning.isEmpty() && !results.isEmpty() && results.stream().allMatch(r -> r.passed());
    }

    public String table() {
        List<String[]> rows = new java.util.ArrayList<>();
        rows.add(HEAD);
        for (ScenarioResult r : results) {
            rows.add(new String[] {r.scenario, r.faults.isEmpty() ? "-" : faultsText(r.faults), Long.toString(r.leases),
                Long.toString(r.provider429), r.maxFill, r.lost < 0 ? "?" : Long.toString(r.lost),
                r.worstGapMs < 0 ? "-" : r.worstGapMs + " ms" + (r.gapBoundMs > 0 ? " (≤" + r.gapBoundMs + ")" : ""),
                String.format(Locale.ROOT, "%.0f %%", r.goodput * 100),
                r.convergenceMs < 0 ? "-" : r.convergenceMs + " ms", r.verdict()});
        }
        int[] w = new int[HEAD.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (int n = 0; n < rows.size(); n++) {
            String[] row = rows.get(n);
            b.append('|');
            for (int i = 0; i < row.length; i++) {
                b.append(' ').append(pad(row[i], w[i], i >= 2 && i <= 8 && i != 4)).append(" |");
            }
            b.append('\n');
            if (n == 0) {
                b.append('|');
                for (int i = 0; i < row.length; i++) {
                    b.append('-').append("-".repeat(w[i])).append(i >= 2 && i <= 8 && i != 4 ? ":" : "-").append('|');
                }
                b.append('\n');
            }
        }
        long secs = (endedAt - startedAt) / 1_000_000_000L;
        b.append(String.format(Locale.ROOT, "profile %s, seed %d, %d s, %d faults injected; processes left running: %d of %d started%s%n",
                profile, seed, secs, faults.size(), leftRunning.size(), pidsStarted, leftRunning.isEmpty() ? "" : " " + leftRunning));
        for (ScenarioResult r : results) {
            for (String n : r.notes) {
                b.append("NOTE ").append(r.scenario).append(": ").append(n).append('\n');
            }
            for (String f : r.failures) {
                b.append("FAIL ").append(r.scenario).append(": ").append(f).append('\n');
            }
            if (r.skipped) {
                b.append("SKIP ").append(r.scenario).append(": ").append(r.details.get("skipped")).append('\n');
            }
        }
        b.append(passed() ? "CHAOS SUITE PASSED\n" : "CHAOS SUITE FAILED\n");
        return b.toString();
    }

    private static String faultsText(List<String> faults) {
        if (faults.size() <= 2) {
            return String.join(", ", faults);
        }
        return faults.size() + " faults";
    }

    private static String pad(String s, int w, boolean right) {
        String fill = " ".repeat(Math.max(0, w - s.length()));
        return right ? fill + s : s + fill;
    }

    public String json() {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"profile\": ").append(MiniJson.quote(profile)).append(",\n");
        b.append("  \"seed\": ").append(seed).append(",\n");
        b.append("  \"startedAt\": ").append(MiniJson.quote(instant(startedAt))).append(",\n");
        b.append("  \"seconds\": ").append((endedAt - startedAt) / 1_000_000_000L).append(",\n");
        b.append("  \"passed\": ").append(passed()).append(",\n");
        b.append("  \"processesStarted\": ").append(pidsStarted).append(",\n");
        b.append("  \"processesLeftRunning\": ").append(leftRunning).append(",\n");
        b.append("  \"scenarios\": [\n");
        for (int i = 0; i < results.size(); i++) {
            ScenarioResult r = results.get(i);
            b.append("    {\"scenario\": ").append(MiniJson.quote(r.scenario))
                    .append(", \"result\": ").append(MiniJson.quote(r.verdict()))
                    .append(", \"startedAt\": ").append(MiniJson.quote(instant(r.startedAt)))
                    .append(", \"seconds\": ").append(String.format(Locale.ROOT, "%.1f", (r.endedAt - r.startedAt) / 1e9))
                    .append(", \"faults\": ").append(list(r.faults))
                    .append(", \"leases\": ").append(r.leases)
                    .append(", \"provider429\": ").append(r.provider429)
                    .append(", \"maxWindowFill\": ").append(MiniJson.quote(r.maxFill))
                    .append(", \"maxWindowFillRatio\": ").append(String.format(Locale.ROOT, "%.3f", r.maxFillRatio))
                    .append(", \"lostLeases\": ").append(r.lost)
                    .append(", \"worstFailoverGapMs\": ").append(r.worstGapMs)
                    .append(", \"gapBoundMs\": ").append(r.gapBoundMs)
                    .append(", \"goodput\": ").append(String.format(Locale.ROOT, "%.3f", r.goodput))
                    .append(", \"convergenceMs\": ").append(r.convergenceMs)
                    .append(", \"failures\": ").append(list(r.failures))
                    .append(", \"notes\": ").append(list(r.notes))
                    .append(", \"details\": {");
            boolean first = true;
            for (Map.Entry<String, Object> e : r.details.entrySet()) {
                b.append(first ? "" : ", ").append(MiniJson.quote(e.getKey())).append(": ").append(value(e.getValue()));
                first = false;
            }
            b.append("}}").append(i + 1 < results.size() ? "," : "").append('\n');
        }
        b.append("  ],\n  \"faults\": [\n");
        for (int i = 0; i < faults.size(); i++) {
            Fault f = faults.get(i);
            b.append("    {\"fault\": ").append(MiniJson.quote(f.name()))
                    .append(", \"injectedAt\": ").append(MiniJson.quote(instant(f.injectedAt())))
                    .append(", \"healedAt\": ").append(MiniJson.quote(f.healedAt() < 0 ? null : instant(f.healedAt())))
                    .append(", \"convergenceMs\": ").append(f.convergenceMillis())
                    .append('}').append(i + 1 < faults.size() ? "," : "").append('\n');
        }
        return b.append("  ]\n}\n").toString();
    }

    private static String value(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof List<?> l) {
            return list(l.stream().map(String::valueOf).toList());
        }
        return MiniJson.quote(String.valueOf(v));
    }

    private static String list(List<String> items) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(MiniJson.quote(items.get(i)));
        }
        return b.append(']').toString();
    }

    private static String instant(long epochNanos) {
        return Instant.ofEpochSecond(0, epochNanos).toString();
    }

    /** Writes {@code chaos-report.json}, {@code chaos-report.txt} and {@code timeline.png} into dir. */
    public void write(Path dir, List<Recorder.LeaseRec> leases) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("chaos-report.json"), json());
        Files.writeString(dir.resolve("chaos-report.txt"), table());
        TimelinePng.write(dir.resolve("timeline.png"), startedAt, endedAt, leases, faults, results);
    }
}
