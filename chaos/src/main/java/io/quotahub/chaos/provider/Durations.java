package io.quotahub.chaos.provider;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations of the hub's config: {@code 500ms}, {@code 1s}, {@code 1m}, {@code 1h}, {@code 1d}, or ISO-8601 ({@code PT1M}). */
public final class Durations {

    private static final Pattern SHORT = Pattern.compile("^(\\d+)\\s*(ms|s|m|h|d)$");

    private Durations() {
    }

    /**
     * @throws IllegalArgumentException if the text is not a positive duration with a unit
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("duration is empty");
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SHORT.matcher(t);
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> throw new IllegalStateException(m.group(2));
            };
        } else {
            try {
                d = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("bad duration '" + text
                        + "': use a number with a unit (500ms, 1s, 1m, 1h, 1d) or ISO-8601 (PT1M)");
            }
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("duration must be positive: '" + text + "'");
        }
        return d;
    }
}
