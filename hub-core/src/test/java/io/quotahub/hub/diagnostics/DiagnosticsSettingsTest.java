package io.quotahub.hub.diagnostics;

import io.quotahub.hub.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DiagnosticsSettingsTest {

    private static DiagnosticsSettings with(Duration cacheTtl, Duration healthInterval) {
        return new DiagnosticsSettings(0.8, 0.9, 2000, Duration.ofMillis(1), Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ofSeconds(2), null, cacheTtl, healthInterval);
    }

    @Test
    void defaults_cacheReportsFor30sAndCheckTheDependenciesEvery30s() {
        DiagnosticsSettings d = DiagnosticsSettings.ofDefaults();
        assertThat(d.cacheTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.healthInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(with(Duration.ZERO, Duration.ofSeconds(1)).cacheTtl()).as("0 turns the cache off").isZero();
    }

    @Test
    void aNegativeCacheTtlOrAnIntervalUnderASecond_isRefusedNamingTheKey() {
        assertThatThrownBy(() -> with(Duration.ofSeconds(-1), Duration.ofSeconds(30))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("quotahub.diagnostics.cache-ttl").hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> with(Duration.ofSeconds(30), Duration.ofMillis(500))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("quotahub.diagnostics.health-interval").hasMessageContaining("PT0.5S");
        assertThatThrownBy(() -> with(null, Duration.ofSeconds(30))).isInstanceOf(ConfigException.class);
    }

    @Test
    void eachLevelStatesItsConfidence() {
        assertThat(DiagnosticLevel.BASIC.confidence()).isEqualTo(0.80);
        assertThat(DiagnosticLevel.STANDARD.confidence()).isEqualTo(0.90);
        assertThat(DiagnosticLevel.ADVANCED.confidence()).isEqualTo(0.95);
        assertThat(DiagnosticLevel.CRITICAL.confidence()).isEqualTo(0.999);
    }
}
