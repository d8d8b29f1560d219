package io.quotahub.agent.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing of the values providers put in rate-limit headers and bodies. Pure functions; a value that
 * does not parse is absent, never an exception. Counts above {@code Long.MAX_VALUE} are clamped to
 * it, durations to {@link #MAX_DURATION}; negative values are ignored. Durations are rounded up to
 * whole milliseconds (a reset in 1 µs is not "now").
 */
public final class ProviderValues {

    /** The longest duration read: what fits in a long of nanoseconds (about 292 years). */
    public static final Duration MAX_DURATION = Duration.ofMillis(Long.MAX_VALUE / 1_000_000);
    /** Longer header values are not parsed (no provider sends a figure this long). */
    static final int MAX_VALUE_LENGTH = 64;

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final Pattern GO_PART = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)");
    private static final Pattern PROTO_DURATION = Pattern.compile("([0-9]+(?:\\.[0-9]{1,9})?)s");
    private static final BigDecimal NANOS_PER_MILLI = BigDecimal.valueOf(1_000_000);

    private ProviderValues() {
    }

    /**
     * A non-negative integer count, e.g. {@code x-ratelimit-remaining-requests: 9999}.
     *
     * @param value the text, may be null
     * @return the count (clamped to {@code Long.MAX_VALUE}), or empty if it is not a non-negative integer
     */
    public static OptionalLong count(String value) {
        String v = trimmed(value);
        if (v == null || !DIGITS.matcher(v).matches()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(clampToLong(new BigDecimal(v)));
    }

    /**
     * A JSON number as a non-negative integer count.
     *
     * @param value the number, may be null
     * @return the count (clamped), or empty if it is negative or not whole
     */
    public static OptionalLong count(BigDecimal value) {
        if (value == null || value.signum() < 0 || value.scale() > 0 && value.stripTrailingZeros().scale() > 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(clampToLong(value));
    }

    /**
     * A Go duration as OpenAI writes resets: {@code 6m0s}, {@code 1.5s}, {@code 20ms},
     * {@code 1m30.25s}, {@code 0}.
     *
     * @param value the text, may be null
     * @return the duration, or empty if it is not a non-negative Go duration
     */
    public static Optional<Duration> goDuration(String value) {
        String v = trimmed(value);
        if (v == null) {
            return Optional.empty();
        }
        if (v.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        Matcher m = GO_PART.matcher(v);
        BigDecimal nanos = BigDecimal.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            nanos = nanos.add(new BigDecimal(m.group(1).endsWith(".") ? m.group(1) + "0" : m.group(1))
                    .multiply(nanosPer(m.group(2))));
            end = m.end();
        }
        if (end == 0 || end != v.length()) {
            return Optional.empty();
        }
        return Optional.of(ofNanos(nanos));
    }

    /**
     * A protobuf duration in JSON, as Gemini's {@code RetryInfo.retryDelay}: {@code 13s}, {@code 34.500s}.
     *
     * @param value the text, may be null
     * @return the duration, or empty if it is not one
     */
    public static Optional<Duration> protoDuration(String value) {
        String v = trimmed(value);
        if (v == null) {
            return Optional.empty();
        }
        Matcher m = PROTO_DURATION.matcher(v);
        return m.matches() ? Optional.of(ofNanos(new BigDecimal(m.group(1)).multiply(nanosPer("s")))) : Optional.empty();
    }

    /**
     * The time from {@code receivedAt} to an RFC 3339 time, as Anthropic writes resets; zero for a
     * time already past.
     *
     * @param value      the text, may be null
     * @param receivedAt when the answer arrived
     * @return the duration, or empty if it is not an RFC 3339 time
     */
    public static Optional<Duration> untilRfc3339(String value, Instant receivedAt) {
        String v = trimmed(value);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(until(OffsetDateTime.parse(v, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant(), receivedAt));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A {@code Retry-After} value: seconds (a decimal number) or an HTTP date (RFC 1123), read
     * relative to {@code receivedAt}; zero for a date already past.
     *
     * @param value      the text, may be null
     * @param receivedAt when the answer arrived
     * @return the wait, or empty if the value is neither
     */
    public static Optional<Duration> retryAfter(String value, Instant receivedAt) {
        String v = trimmed(value);
        if (v == null) {
            return Optional.empty();
        }
        if (DECIMAL.matcher(v).matches()) {
            return Optional.of(ofNanos(new BigDecimal(v).multiply(nanosPer("s"))));
        }
        try {
            return Optional.of(until(ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant(), receivedAt));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A {@code retry-after-ms} value: milliseconds, a decimal number.
     *
     * @param value the text, may be null
     * @return the wait, or empty if it is not a non-negative number
     */
    public static Optional<Duration> retryAfterMillis(String value) {
        String v = trimmed(value);
        if (v == null || !DECIMAL.matcher(v).matches()) {
            return Optional.empty();
        }
        return Optional.of(ofNanos(new BigDecimal(v).multiply(NANOS_PER_MILLI)));
    }

    private static String trimmed(String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        return v.isEmpty() || v.length() > MAX_VALUE_LENGTH ? null : v;
    }

    private static BigDecimal nanosPer(String unit) {
        return BigDecimal.valueOf(switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L; // h
        });
    }

    /** Whole milliseconds, rounded up, clamped to {@link #MAX_DURATION}. */
    private static Duration ofNanos(BigDecimal nanos) {
        BigDecimal millis = nanos.divide(NANOS_PER_MILLI, 0, RoundingMode.CEILING);
        return millis.compareTo(BigDecimal.valueOf(MAX_DURATION.toMillis())) >= 0 ? MAX_DURATION
                : Duration.ofMillis(millis.longValueExact());
    }

    private static Duration until(Instant at, Instant receivedAt) {
        if (!at.isAfter(receivedAt)) {
            return Duration.ZERO;
        }
        Duration d = Duration.between(receivedAt, at);
        return ofNanos(new BigDecimal(d.getSeconds()).multiply(nanosPer("s")).add(BigDecimal.valueOf(d.getNano())));
    }

    private static long clampToLong(BigDecimal v) {
        return v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : v.longValue();
    }
}
