package io.quotahub.hub.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses configuration durations: {@code 500ms}, {@code 1s}, {@code 1m}, {@code 1h}, {@code 1d}, or ISO-8601 ({@code PT1M}). */
public final class DurationText {

    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private DurationText() {
    }

    public static Duration parse(String field, Object raw) {
        if (raw == null) {
            throw new ConfigException(field + " is missing (e.g. 1m, 10s, 1d)");
        }
        String text = raw.toString().trim().toLowerCase(java.util.Locale.ROOT);
        Matcher m = SHORT.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(raw.toString().trim());
        } catch (RuntimeException e) {
            throw new ConfigException(field + " is not a duration: '" + raw + "' (use e.g. 500ms, 10s, 1m, 1h, 1d)");
        }
    }
}
