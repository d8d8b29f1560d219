package io.quotahub.engine;

import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;

/**
 * One limit: at most {@code capacity} units of {@code kind} in any interval of length {@code per}
 * (sliding), or, when {@code calendarDayZone} is set, per calendar day in that zone (reset at
 * local midnight; {@code per} must then be one day).
 *
 * @param enforcement whether the limit refuses or only reports what it would refuse (shadow,
 *                    canary); {@link Enforcement#ENFORCED} by default
 */
public record LimitSpec(LimitKind kind, long capacity, Duration per, ZoneId calendarDayZone, Enforcement enforcement) {

    /** An enforced limit. */
    public LimitSpec(LimitKind kind, long capacity, Duration per, ZoneId calendarDayZone) {
        this(kind, capacity, per, calendarDayZone, Enforcement.ENFORCED);
    }

    /**
     * The largest capacity a limit may have (10^12 units: far above any provider's quota). With
     * every amount bounded by it, no sum of units the engine keeps can come near overflowing.
     */
    public static final long MAX_CAPACITY = 1_000_000_000_000L;

    public LimitSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(per, "per");
        enforcement = enforcement == null ? Enforcement.ENFORCED : enforcement;
        if (capacity <= 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be between 1 and " + MAX_CAPACITY + ", was " + capacity);
        }
        if (per.isNegative() || per.isZero()) {
            throw new IllegalArgumentException("per must be > 0, was " + per);
        }
        if (calendarDayZone != null && !per.equals(Duration.ofDays(1))) {
            throw new IllegalArgumentException("a calendar-day limit needs per: 1d, was " + per);
        }
    }

    public static LimitSpec requests(long capacity, Duration per) {
        return new LimitSpec(LimitKind.REQUESTS, capacity, per, null);
    }

    public static LimitSpec tokens(long capacity, Duration per) {
        return new LimitSpec(LimitKind.TOKENS, capacity, per, null);
    }

    public static LimitSpec requestsPerCalendarDay(long capacity, ZoneId zone) {
        return new LimitSpec(LimitKind.REQUESTS, capacity, Duration.ofDays(1), Objects.requireNonNull(zone, "zone"));
    }

    /** The same limit with {@code e}. */
    public LimitSpec withEnforcement(Enforcement e) {
        return new LimitSpec(kind, capacity, per, calendarDayZone, e);
    }

    /** Stable human-readable name, e.g. {@code requests 60/PT1M}, used in refusals and metric tags. */
    public String describe() {
        return kind.label() + " " + capacity + "/" + per + (calendarDayZone == null ? "" : " (calendar day " + calendarDayZone + ")");
    }
}
