package io.quotahub.hub.audit;

import io.quotahub.hub.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditSettingsTest {

    @Test
    void maxAgeBelowAMinute_isRefusedNamingTheKey() {
        assertThatThrownBy(() -> new AuditSettings(Duration.ofSeconds(5)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.audit.max-age");
        assertThatThrownBy(() -> new AuditSettings(null)).isInstanceOf(ConfigException.class);
    }
}
