package io.quotahub.chaos.checker;

import java.util.List;

/**
 * "Answered at once" (docs/chaos.md, burst and multi-key-failover): the median answer under 100 ms
 * and none as slow as 500 ms (that one waited or queued). Single answers over 100 ms are counted,
 * not failed: on a shared, loaded host they are the scheduler's (no test asserts on speed: that is
 * bench/'s).
 *
 * @param medianMs  the median answer time (0 without answers)
 * @param slowestMs the slowest answer time (0 without answers)
 * @param over100ms how many answers took 100 ms or more
 */
public record AtOnce(long medianMs, long slowestMs, long over100ms) {

    static final long MEDIAN_BOUND_MS = 100;
    static final long SLOWEST_BOUND_MS = 500;

    /** Judges answer times in ms. */
    public static AtOnce of(List<Long> millis) {
        long median = millis.isEmpty() ? 0 : millis.stream().sorted().toList().get(millis.size() / 2);
        long slowest = millis.stream().mapToLong(Long::longValue).max().orElse(0);
        long over = millis.stream().filter(ms -> ms >= MEDIAN_BOUND_MS).count();
        return new AtOnce(median, slowest, over);
    }

    /** True when the median is under 100 ms and no answer took 500 ms. */
    public boolean atOnce() {
        return medianMs < MEDIAN_BOUND_MS && slowestMs < SLOWEST_BOUND_MS;
    }
}
