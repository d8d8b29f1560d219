package io.quotahub.hub.config.pools;

import io.quotahub.hub.config.ConfigException;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one rule for durations in the pools config: {@code 500ms}, {@code 1s}, {@code 1m},
 * {@code 1h}, {@code 1d}, or ISO-8601 ({@code PT1M}); a bare number has no unit and is refused.
 */
public final class DurationText {

    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private DurationText() {
    }

    /**
     * @param field the setting's path, for the message
     * @throws ConfigException naming {@code field} if {@code raw} is missing or not a duration
     */
    public static Duration parse(String field, Object raw) {
        if (raw == null) {
            throw new ConfigException(field + " is missing (e.g. 1m, 10s, 1d)");
        }
        String text = raw.toString().trim().toLowerCase(Locale.ROOT);
        Matcher m = SHORT.matcher(text);
        try {
            if (!m.matches()) {
                return Duration.parse(text);
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (RuntimeException e) { // not ISO-8601, or a number too large for a Duration
            throw new ConfigException(field + " is not a duration: '" + raw + "' (use e.g. 500ms, 10s, 1m, 1h, 1d)");
        }
    }
}
