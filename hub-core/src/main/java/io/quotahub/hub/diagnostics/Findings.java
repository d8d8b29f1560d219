package io.quotahub.hub.diagnostics;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Collects what a check found and turns it into one result: FAIL beats WARN beats PASS. */
final class Findings {

    private final List<String> failures = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Set<String> failFixes = new LinkedHashSet<>();
    private final Set<String> warnFixes = new LinkedHashSet<>();

    void fail(String what, String fix) {
        failures.add(what);
        failFixes.add(fix);
    }

    void warn(String what, String fix) {
        warnings.add(what);
        warnFixes.add(fix);
    }

    /** A fact worth showing that needs no action. */
    void note(String what) {
        notes.add(what);
    }

    boolean failed() {
        return !failures.isEmpty();
    }

    /** @param whenAllWell the recommendation when nothing needs doing */
    CheckResult result(String whenAllWell) {
        List<String> sentences = new ArrayList<>(failures);
        sentences.addAll(warnings);
        sentences.addAll(notes);
        String detail = String.join(" ", sentences.stream().map(Findings::sentence).toList());
        Set<String> fixes = new LinkedHashSet<>(failFixes);
        fixes.addAll(warnFixes);
        String recommendation = fixes.isEmpty() ? whenAllWell : String.join(" ", fixes.stream().map(Findings::sentence).toList());
        CheckStatus status = !failures.isEmpty() ? CheckStatus.FAIL : !warnings.isEmpty() ? CheckStatus.WARN : CheckStatus.PASS;
        return new CheckResult(status, detail.isEmpty() ? "Nothing to report." : detail, sentence(recommendation));
    }

    private static String sentence(String s) {
        String t = s.strip();
        if (t.isEmpty()) {
            return t;
        }
        char last = t.charAt(t.length() - 1);
        return last == '.' || last == '!' || last == '?' ? t : t + ".";
    }

    static String percent(double ratio) {
        return String.format(java.util.Locale.ROOT, "%.1f %%", 100 * ratio);
    }

    static String millis(double nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f ms", nanos / 1_000_000.0);
    }
}
