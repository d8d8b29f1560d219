package io.quotahub.chaos.hostile;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the hostile agent sent and what it got back, per attack and answer, for the report. */
public final class Tally {

    private final Map<String, Map<String, LongAdder>> counts = new ConcurrentHashMap<>();

    public void count(String attack, String answer) {
        counts.computeIfAbsent(attack, a -> new ConcurrentHashMap<>()).computeIfAbsent(answer, a -> new LongAdder()).increment();
    }

    public long get(String attack, String answer) {
        LongAdder n = counts.getOrDefault(attack, Map.of()).get(answer);
        return n == null ? 0 : n.sum();
    }

    /** Per attack matching {@code attack}: how many of its answers match {@code answer} (attacks with none left out). */
    public Map<String, Long> counts(java.util.function.Predicate<String> attack, java.util.function.Predicate<String> answer) {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((a, answers) -> {
            if (attack.test(a)) {
                long n = answers.entrySet().stream().filter(e -> answer.test(e.getKey())).mapToLong(e -> e.getValue().sum()).sum();
                if (n > 0) {
                    out.put(a, n);
                }
            }
        });
        return out;
    }

    /** Attack → "answer ×n, answer ×n", sorted. */
    public Map<String, String> summary() {
        Map<String, String> out = new TreeMap<>();
        counts.forEach((attack, answers) -> {
            StringBuilder b = new StringBuilder();
            new TreeMap<>(answers).forEach((answer, n) -> b.append(b.length() == 0 ? "" : ", ").append(answer).append(" ×").append(n.sum()));
            out.put(attack, b.toString());
        });
        return out;
    }
}
