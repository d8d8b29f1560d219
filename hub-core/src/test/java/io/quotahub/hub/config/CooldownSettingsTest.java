package io.quotahub.hub.config;

import io.micronaut.context.ApplicationContext;
import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.CooldownLearning;
import io.quotahub.engine.QuotaEngine;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code quotahub.cooldown.*} in a hub's YAML reaches the engine; a bad value stops the start-up naming its key. */
class CooldownSettingsTest {

    private static String startUpError(String cooldownYaml) {
        return HubYaml.startUpError("cooldown", cooldownYaml);
    }

    private static CooldownConfig engineCooldown(String cooldownYaml) {
        try (ApplicationContext context = HubYaml.start("cooldown", cooldownYaml)) {
            return context.getBean(QuotaEngine.class).config().cooldown();
        }
    }

    @Test
    void nothingSet_theEngineDefaults_withTheHubsMaxCooldown() {
        assertThat(engineCooldown("")).isEqualTo(CooldownConfig.ofDefaults().withMaxCooldown(Duration.ofMinutes(10)));
    }

    @Test
    void everyKey_reachesTheEngine() {
        CooldownConfig c = engineCooldown("""
                ladder: [500ms, 2s, 1m]
                failures-to-block: 5
                block-for: 2m
                open-for: 30s
                growth: 3
                successes-to-shorten: 10
                """);
        assertThat(c).isEqualTo(new CooldownConfig(List.of(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMinutes(1)),
                5, Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ofMinutes(10), new CooldownLearning(3, 10)));
    }

    @Test
    void someKeys_keepTheOtherDefaults_andGrowthZeroTurnsLearningOff() {
        CooldownConfig c = engineCooldown("""
                open-for: 45s
                growth: 0
                """);
        assertThat(c.openFor()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.ladder()).isEqualTo(CooldownConfig.ofDefaults().ladder());
        assertThat(c.blockFor()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.learning().enabled()).isFalse();
    }

    @Test
    void aStepThatIsNotADuration_isNamedWithItsIndex() {
        assertThat(startUpError("ladder: [1s, 3 secs]"))
                .isEqualTo("quotahub.cooldown.ladder[1] is not a duration: '3 secs' (use e.g. 500ms, 10s, 1m, 1h, 1d)");
        assertThat(startUpError("ladder: [1s, 0s]")).isEqualTo("quotahub.cooldown.ladder[1] must be more than 0s and at most 7d, was 0s");
        assertThat(startUpError("ladder: [10]")).startsWith("quotahub.cooldown.ladder[0] is not a duration: '10'");
    }

    @Test
    void badBreakerValues_areNamed() {
        assertThat(startUpError("failures-to-block: 0")).isEqualTo("quotahub.cooldown.failures-to-block must be between 1 and 1000, was 0");
        assertThat(startUpError("block-for: 8d")).isEqualTo("quotahub.cooldown.block-for must be between 0s and at most 7d, was 8d");
        assertThat(startUpError("open-for: soon")).startsWith("quotahub.cooldown.open-for is not a duration: 'soon'");
        assertThat(startUpError("growth: 1")).isEqualTo("quotahub.cooldown.growth must be 0 (no learning) or between 2 and 16, was 1");
        assertThat(startUpError("successes-to-shorten: -1"))
                .isEqualTo("quotahub.cooldown.successes-to-shorten must be between 1 and 1000, was -1");
    }

    @Test
    void aMisspeltKey_isNamedWithTheNearestOne() {
        assertThat(startUpError("open-fr: 30s")).isEqualTo("unknown setting quotahub.cooldown.open-fr: did you mean quotahub.cooldown.open-for?");
    }
}
