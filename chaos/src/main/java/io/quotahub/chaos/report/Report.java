package io.quotahub.chaos.report;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    /** {@code chaos-report.json}: the run, one object per scenario (with its details), the faults. */
    public String json() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("profile", profile);
        doc.put("seed", seed);
        doc.put("startedAt", instant(startedAt));
        doc.put("seconds", (endedAt - startedAt) / 1_000_000_000L);
        doc.put("passed", passed());
        doc.put("processesStarted", pidsStarted);
        doc.put("processesLeftRunning", leftRunning);
        List<Map<String, Object>> scenarios = new ArrayList<>();
        for (ScenarioResult r : results) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("scenario", r.scenario);
            s.put("result", r.verdict());
            s.put("startedAt", instant(r.startedAt));
            s.put("seconds", decimals((r.endedAt - r.startedAt) / 1e9, 1));
            s.put("faults", r.faults);
            s.put("leases", r.leases);
            s.put("provider429", r.provider429);
            s.put("maxWindowFill", r.maxFill);
            s.put("maxWindowFillRatio", decimals(r.maxFillRatio, 3));
            s.put("lostLeases", r.lost);
            s.put("worstFailoverGapMs", r.worstGapMs);
            s.put("gapBoundMs", r.gapBoundMs);
            s.put("goodput", decimals(r.goodput, 3));
            s.put("convergenceMs", r.convergenceMs);
            s.put("failures", r.failures);
            s.put("notes", r.notes);
            Map<String, Object> details = new LinkedHashMap<>();
            r.details.forEach((k, v) -> details.put(k, value(v)));
            s.put("details", details);
            scenarios.add(s);
        }
        doc.put("scenarios", scenarios);
        List<Map<String, Object>> faultList = new ArrayList<>();
        for (Fault f : faults) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fault", f.name());
            m.put("injectedAt", instant(f.injectedAt()));
            m.put("healedAt", f.healedAt() < 0 ? null : instant(f.healedAt()));
            m.put("convergenceMs", f.convergenceMillis());
            faultList.add(m);
        }
        doc.put("faults", faultList);
        return ChaosJson.pretty(doc);
    }

    /** A detail as the report has always written it: numbers and booleans as they are, lists as lists of strings, anything else as a string. */
    private static Object value(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            return v;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(String::valueOf).toList();
        }
        return String.valueOf(v);
    }

    private static BigDecimal decimals(double v, int scale) {
        return Double.isFinite(v) ? BigDecimal.valueOf(v).setScale(scale, RoundingMode.HALF_UP) : null;
    }

    private static String instant(long epochNanos) {
        return Instant.ofEpochSecond(0, epochNanos).toString();
    }

    /** Writes {@code chaos-report.json}, {@code chaos-report.txt} and {@code timeline.png} into dir. */
    public void write(Path dir, List<Recorder.LeaseRec> leases) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("chaos-report.json"), json());
        Files.writeString(dir.resolve("chaos-report.txt"), table());
        TimelinePng.write(dir.resolve("timeline.png"), "Chaos run, profile " + profile + ", seed " + seed, startedAt, endedAt,
                leases, faults, results);
    }
}
