package io.quotahub.chaos.checker;

import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What {@code cross-language} must hold besides the checks of {@link ScenarioChecker}: the agents
 * of each language (agent ids {@code <language>-<side>-<n>}, e.g. {@code node-main-1}) keep
 * getting leases. Per language: at least one lease before the fault, one while it is in force (from
 * its inject until the hub it killed is ready again) and one after; and the longest want of that
 * language's agents while the fault is in force within the fault's gap bound, judged as
 * {@link ScenarioChecker} judges the gap of all agents (a want refused while the provider had no room
 * is left out). The failback gap (heal until 2 s after the hubs agree) is reported, not bounded.
 */
public final class LanguageCheck {

    /** Leases of one language in the three phases of a fault. */
    public record Phases(long before, long during, long after) {

        /** Counts lease times (epoch ns) against a fault injected at {@code injectedAt} and healed (ready again) at {@code healedAt}. */
        public static Phases of(List<Long> leaseTimes, long injectedAt, long healedAt) {
            long before = 0;
            long during = 0;
            long after = 0;
            for (long at : leaseTimes) {
                if (at < injectedAt) {
                    before++;
                } else if (healedAt < 0 || at < healedAt) {
                    during++;
                } else {
                    after++;
                }
            }
            return new Phases(before, during, after);
        }

        /** The phases with no lease, e.g. {@code [during the fault]}. */
        public List<String> empty() {
            return Stream.of(before == 0 ? "before the fault" : null, during == 0 ? "during the fault" : null,
                    after == 0 ? "after the heal" : null).filter(Objects::nonNull).toList();
        }

        public long total() {
            return before + during + after;
        }
    }

    private LanguageCheck() {
    }

    /**
     * Judges each language of {@code languages} (language → what runs its agents, e.g.
     * {@code node v20.20.2}) on the scenario's pool over [start, end] with one fault.
     */
    public static void judge(ScenarioResult r, ScenarioChecker checker, Recorder rec, String pool, Fault f,
            Map<String, String> languages, long start, long end) {
        ProviderLog plog;
        try {
            plog = checker.providerLog();
        } catch (IOException e) {
            r.failures.add("provider log unavailable for the per-language check: " + e.getMessage());
            return;
        }
        long bound = f.kind().gapBoundMillis();
        long faultEnd = f.healStartedAt() < 0 ? end : f.healStartedAt();
        long failbackEnd = Math.min(end, (f.convergedAt() < 0 ? f.healedAt() : f.convergedAt()) + Duration.ofSeconds(2).toNanos());
        languages.forEach((language, runtime) -> {
            String prefix = language + "-";
            List<Recorder.LeaseRec> leases = rec.leases(l -> l.pool().equals(pool) && l.agent().startsWith(prefix)
                    && l.at() >= start && l.at() <= end);
            long agents = leases.stream().map(Recorder.LeaseRec::agent).distinct().count();
            Phases phases = Phases.of(leases.stream().map(Recorder.LeaseRec::at).toList(), f.injectedAt(), f.healedAt());
            ScenarioChecker.Gap gap = checker.worstGap(plog, pool, f.injectedAt(), faultEnd, a -> a.startsWith(prefix));
            ScenarioChecker.Gap back = checker.worstGap(plog, pool, faultEnd, failbackEnd, a -> a.startsWith(prefix));
            Map<String, Long> byHub = leases.stream().collect(Collectors.groupingBy(Recorder.LeaseRec::hub, TreeMap::new,
                    Collectors.counting()));
            String summary = language + " (" + runtime + ", " + agents + " agents with leases): " + phases.total() + " leases, "
                    + phases.before() + " before " + f.name() + ", " + phases.during() + " during, " + phases.after() + " after, by hub "
                    + byHub + "; worst gap "
                    + gap.millis() + " ms" + (bound > 0 ? " (≤" + bound + ")" : "") + ", failback " + back.millis() + " ms";
            r.notes.add(summary);
            r.details.put("language " + language, summary + (gap.agent() == null ? "" : "; worst gap: " + gap.agent()));
            if (!phases.empty().isEmpty()) {
                r.failures.add(language + " agents got no lease " + String.join(", ", phases.empty()) + " (" + phases + ")");
            }
            if (bound > 0 && gap.millis() > bound) {
                r.failures.add(language + " agents' failover gap " + gap.millis() + " ms after " + f.name() + " (bound " + bound
                        + " ms, " + gap.agent() + ")");
            }
        });
    }
}
