package io.quotahub.hub.config.pools;

import io.quotahub.hub.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationTextTest {

    @Test
    void parse_readsTheShortUnitsAndIso8601() {
        assertThat(DurationText.parse("x", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationText.parse("x", "5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(DurationText.parse("x", "1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(DurationText.parse("x", "2h")).isEqualTo(Duration.ofHours(2));
        assertThat(DurationText.parse("x", "1d")).isEqualTo(Duration.ofDays(1));
        assertThat(DurationText.parse("x", "PT5S")).isEqualTo(Duration.ofSeconds(5));
        assertThat(DurationText.parse("x", "pt1m")).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void parse_refusesANumberWithoutUnitNamingTheField() {
        assertThatThrownBy(() -> DurationText.parse("quotahub.pools.demo.limits[0].per", "60")).isInstanceOf(ConfigException.class)
                .hasMessage("quotahub.pools.demo.limits[0].per is not a duration: '60' (use e.g. 500ms, 10s, 1m, 1h, 1d)");
        assertThatThrownBy(() -> DurationText.parse("x", "")).isInstanceOf(ConfigException.class).hasMessageContaining("''");
        assertThatThrownBy(() -> DurationText.parse("x", null)).isInstanceOf(ConfigException.class).hasMessageContaining("x is missing");
    }

    @Test
    void parse_refusesANumberTooLargeForADuration_asAConfigError() {
        // was a NumberFormatException (a stack trace at start-up) before it was caught here
        assertThatThrownBy(() -> DurationText.parse("x", "99999999999999999999s")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> DurationText.parse("x", "9223372036854775807d")).isInstanceOf(ConfigException.class);
    }
}
