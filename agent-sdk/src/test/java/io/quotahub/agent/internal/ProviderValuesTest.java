package io.quotahub.agent.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class ProviderValuesTest {

    private static final Instant AT = Instant.parse("2026-12-07T12:00:00Z");

    @ParameterizedTest
    @CsvSource({"6m0s, 360000", "1s, 1000", "20ms, 20", "1m30.25s, 90250", "1.5s, 1500", "0, 0", "0s, 0",
            "2h, 7200000", "1h2m3s, 3723000", "1.s, 1000", ".5s, 500", "1500us, 2", "1µs, 1", "999ns, 1", "' 6ms ', 6"})
    void goDuration_readsOpenAisResets(String text, long millis) {
        assertThat(ProviderValues.goDuration(text)).contains(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "soon", "6", "-1s", "1x", "s", "1s2", "1 s", "6m0s junk", "1e3s", "+1s", "1..5s"})
    void goDuration_ignoresWhatIsNotOne(String text) {
        assertThat(ProviderValues.goDuration(text)).isEmpty();
    }

    @Test
    void goDuration_ofNull_isEmpty() {
        assertThat(ProviderValues.goDuration(null)).isEmpty();
    }

    @Test
    void hugeDurations_areClampedToWhatFitsInNanoseconds() {
        assertThat(ProviderValues.goDuration("99999999999999999999h")).contains(ProviderValues.MAX_DURATION);
        assertThat(ProviderValues.retryAfter("99999999999999999999999", AT)).contains(ProviderValues.MAX_DURATION);
        assertThat(ProviderValues.retryAfterMillis("99999999999999999999999")).contains(ProviderValues.MAX_DURATION);
        assertThat(ProviderValues.MAX_DURATION.toNanos()).isPositive(); // no overflow for whoever reads it
    }

    @Test
    void valuesLongerThanAnyProviderSends_areIgnored() {
        assertThat(ProviderValues.count("1".repeat(65))).isEmpty();
        assertThat(ProviderValues.goDuration("1s".repeat(40))).isEmpty();
    }

    @Test
    void count_clampsHugeNumbersAndIgnoresNegativeOrFractionalOnes() {
        assertThat(ProviderValues.count("9999")).hasValue(9999);
        assertThat(ProviderValues.count("99999999999999999999999")).hasValue(Long.MAX_VALUE);
        assertThat(ProviderValues.count("-1")).isEmpty();
        assertThat(ProviderValues.count("1.5")).isEmpty();
        assertThat(ProviderValues.count("ten")).isEmpty();
        assertThat(ProviderValues.count((String) null)).isEmpty();
        assertThat(ProviderValues.count(new BigDecimal("29"))).hasValue(29);
        assertThat(ProviderValues.count(new BigDecimal("29.0"))).hasValue(29);
        assertThat(ProviderValues.count(new BigDecimal("1e30"))).hasValue(Long.MAX_VALUE);
        assertThat(ProviderValues.count(new BigDecimal("-3"))).isEmpty();
        assertThat(ProviderValues.count(new BigDecimal("2.5"))).isEmpty();
        assertThat(ProviderValues.count(new BigDecimal("1e999999999"))).hasValue(Long.MAX_VALUE);
    }

    @Test
    void retryAfter_readsSecondsAndHttpDatesRelativeToTheArrival() {
        assertThat(ProviderValues.retryAfter("120", AT)).contains(Duration.ofSeconds(120));
        assertThat(ProviderValues.retryAfter("1.5", AT)).contains(Duration.ofMillis(1500));
        assertThat(ProviderValues.retryAfter("Mon, 07 Dec 2026 12:00:30 GMT", AT)).contains(Duration.ofSeconds(30));
        assertThat(ProviderValues.retryAfter("Mon, 07 Dec 2026 11:59:00 GMT", AT)).as("past").contains(Duration.ZERO);
        assertThat(ProviderValues.retryAfter("soon", AT)).isEmpty();
        assertThat(ProviderValues.retryAfter("-5", AT)).isEmpty();
        assertThat(ProviderValues.retryAfterMillis("1500")).contains(Duration.ofMillis(1500));
        assertThat(ProviderValues.retryAfterMillis("0.2")).contains(Duration.ofMillis(1));
        assertThat(ProviderValues.retryAfterMillis("-1")).isEmpty();
    }

    @Test
    void rfc3339AndProtoDurations() {
        assertThat(ProviderValues.untilRfc3339("2026-12-07T12:00:12.500Z", AT)).contains(Duration.ofMillis(12_500));
        assertThat(ProviderValues.untilRfc3339("2026-12-07T13:00:01+01:00", AT)).contains(Duration.ofSeconds(1));
        assertThat(ProviderValues.untilRfc3339("2026-12-07T11:00:00Z", AT)).contains(Duration.ZERO);
        assertThat(ProviderValues.untilRfc3339("tomorrow", AT)).isEmpty();
        assertThat(ProviderValues.protoDuration("13s")).contains(Duration.ofSeconds(13));
        assertThat(ProviderValues.protoDuration("34.500s")).contains(Duration.ofMillis(34_500));
        assertThat(ProviderValues.protoDuration("13")).isEmpty();
        assertThat(ProviderValues.protoDuration("-1s")).isEmpty();
    }

    @Test
    void sums_saturate() {
        assertThat(ProviderAnswer.sum(OptionalLong.of(Long.MAX_VALUE), OptionalLong.of(5))).hasValue(Long.MAX_VALUE);
        assertThat(ProviderAnswer.sum(OptionalLong.empty(), OptionalLong.empty())).isEmpty();
    }
}
