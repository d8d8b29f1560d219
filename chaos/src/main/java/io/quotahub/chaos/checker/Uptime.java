package io.quotahub.chaos.checker;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the hubs stayed up: the judgement of readiness samples taken through a scenario (see
 * {@link UptimeWatch}). A hub is up when its process runs and {@code /health/readiness} answers
 * 200. Its process not running, or an answer other than 200 (the hub says it cannot grant), fails
 * at once. A hub that does not answer at all fails when the silence lasts longer than the grace
 * (one slow answer on a loaded host is not an outage; several in a row are).
 */
public final class Uptime {

    /** What one look at a hub found. */
    public enum State {
        /** Readiness answered 200. */
        UP,
        /** Readiness answered, but not 200 (e.g. 503: not ready). */
        DOWN,
        /** No answer within the sample's timeout, or the connection was refused. */
        NO_ANSWER,
        /** The hub's process was not running. */
        DEAD
    }

    /**
     * One look at one hub.
     *
     * @param hub    hub id
     * @param at     when the look began (epoch nanos)
     * @param state  what it found
     * @param detail the HTTP status or the error, for the report
     */
    public record Sample(String hub, long at, State state, String detail) {
    }

    /** The judgement: failures (empty when every hub stayed up) and a summary per hub for the report. */
    public record Verdict(List<String> failures, Map<String, String> summary) {
        public boolean up() {
            return failures.isEmpty();
        }
    }

    private Uptime() {
    }

    /**
     * Judges the samples of each hub in {@code hubs}, relative to {@code origin} (epoch nanos, for
     * the "+12.3 s" in messages). A hub without any sample fails: nobody looked.
     */
    public static Verdict judge(List<Sample> samples, List<String> hubs, long origin, long graceMillis) {
        List<String> failures = new ArrayList<>();
        Map<String, String> summary = new LinkedHashMap<>();
        for (String hub : hubs) {
            List<Sample> mine = samples.stream().filter(s -> s.hub().equals(hub)).sorted(Comparator.comparingLong(Sample::at)).toList();
            if (mine.isEmpty()) {
                failures.add("hub-" + hub + ": no readiness sample was taken");
                summary.put(hub, "no samples");
                continue;
            }
            Map<State, Integer> counts = new EnumMap<>(State.class);
            mine.forEach(s -> counts.merge(s.state(), 1, Integer::sum));
            firstOf(mine, State.DEAD).ifPresent(s -> failures.add("hub-" + hub + "'s process was not running at " + offset(s, origin)
                    + " (" + counts.get(State.DEAD) + " of " + mine.size() + " samples)"));
            firstOf(mine, State.DOWN).ifPresent(s -> failures.add("hub-" + hub + " was not ready at " + offset(s, origin) + ": "
                    + s.detail() + " (" + counts.get(State.DOWN) + " of " + mine.size() + " samples)"));
            long longest = 0;
            Sample longestFrom = null;
            for (int i = 0; i < mine.size(); i++) {
                if (mine.get(i).state() != State.NO_ANSWER) {
                    continue;
                }
                int j = i;
                while (j < mine.size() && mine.get(j).state() == State.NO_ANSWER) {
                    j++;
                }
                // silent from the first unanswered look until the next look that got an answer (or the last look)
                long until = j < mine.size() ? mine.get(j).at() : mine.get(j - 1).at();
                long millis = (until - mine.get(i).at()) / 1_000_000L;
                if (millis >= longest) {
                    longest = millis;
                    longestFrom = mine.get(i);
                }
                i = j - 1;
            }
            if (longestFrom != null && longest > graceMillis) {
                failures.add("hub-" + hub + " did not answer /health/readiness for " + longest + " ms from " + offset(longestFrom, origin)
                        + " (bound " + graceMillis + " ms): " + longestFrom.detail());
            }
            StringBuilder text = new StringBuilder().append(mine.size()).append(" samples");
            counts.forEach((state, n) -> text.append(", ").append(n).append(' ').append(state.name().toLowerCase(java.util.Locale.ROOT)));
            if (longestFrom != null) {
                text.append("; longest silence ").append(longest).append(" ms");
            }
            summary.put(hub, text.toString());
        }
        return new Verdict(List.copyOf(failures), summary);
    }

    private static java.util.Optional<Sample> firstOf(List<Sample> samples, State state) {
        return samples.stream().filter(s -> s.state() == state).findFirst();
    }

    private static String offset(Sample s, long origin) {
        return String.format(java.util.Locale.ROOT, "+%.1f s", (s.at() - origin) / 1e9);
    }
}
