package io.quotahub.chaos.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parse_readsTheUnitsOfTheHubConfig() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Durations.parse("PT1M")).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void parse_refusesANumberWithoutUnitAndZero() {
        assertThatThrownBy(() -> Durations.parse("60")).hasMessageContaining("'60'");
        assertThatThrownBy(() -> Durations.parse("0s")).hasMessageContaining("positive");
        assertThatThrownBy(() -> Durations.parse("")).hasMessageContaining("empty");
    }
}
