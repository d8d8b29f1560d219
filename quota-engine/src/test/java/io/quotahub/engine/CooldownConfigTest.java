package io.quotahub.engine;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Cooldown settings refuse what makes no sense, naming the field. */
class CooldownConfigTest {

    private static final Duration S = Duration.ofSeconds(1);

    @Test
    void defaults_learnByDoublingAndHalveAfterFiveSuccesses() {
        CooldownConfig c = CooldownConfig.ofDefaults();
        assertThat(c.learning()).isEqualTo(new CooldownLearning(2, 5));
        assertThat(c.learning().enabled()).isTrue();
        assertThat(CooldownLearning.OFF.enabled()).isFalse();
        assertThat(c.withLearning(CooldownLearning.OFF).learning()).isEqualTo(CooldownLearning.OFF);
        assertThat(new CooldownConfig(List.of(S), 3, S, S).learning()).as("older constructors learn by default")
                .isEqualTo(CooldownLearning.ofDefaults());
    }

    @Test
    void badLadders_areRefused() {
        assertThatThrownBy(() -> new CooldownConfig(List.of(), 3, S, S)).hasMessageContaining("ladder");
        assertThatThrownBy(() -> new CooldownConfig(Arrays.asList(S, null), 3, S, S)).hasMessageContaining("ladder");
        assertThatThrownBy(() -> new CooldownConfig(List.of(Duration.ZERO), 3, S, S)).hasMessageContaining("ladder steps must be > 0");
        assertThatThrownBy(() -> new CooldownConfig(List.of(S), 3, S.negated(), S)).hasMessageContaining("blockFor");
        assertThatThrownBy(() -> new CooldownConfig(List.of(S), 3, S, S.negated())).hasMessageContaining("openFor");
        assertThatThrownBy(() -> new CooldownConfig(List.of(S), 3, S, S, S, null)).hasMessageContaining("learning");
    }

    @Test
    void badLearning_isRefused() {
        assertThatThrownBy(() -> new CooldownLearning(1, 5)).hasMessageContaining("growth must be 0 (off) or between 2 and 16, was 1");
        assertThatThrownBy(() -> new CooldownLearning(17, 5)).hasMessageContaining("growth");
        assertThatThrownBy(() -> new CooldownLearning(2, 0)).hasMessageContaining("successesToShorten must be between 1 and 1000, was 0");
    }
}
