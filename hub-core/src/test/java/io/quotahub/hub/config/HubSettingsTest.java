package io.quotahub.hub.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bounds among the hub's settings: each bad value is refused at start-up with its property's name. */
class HubSettingsTest {

    private static HubSettings settings(Duration maxCooldown, int maxFieldBytes, int maxMessageBytes, int maxAgents,
                                        int maxRequestIndex) {
        return new HubSettings("main", "nats://127.0.0.1:4222", Duration.ofSeconds(60), Duration.ofMillis(250),
                Duration.ofSeconds(5), Duration.ofSeconds(15), null, null, null, null, 0.1, Duration.ofMillis(2500), 10_000,
                Duration.ofMinutes(10), maxCooldown, maxFieldBytes, maxMessageBytes, maxAgents, maxRequestIndex, null);
    }

    @Test
    void unsetTimingsAndFloor_takeTheirOneDefault_fromTheEngineAndTheProtocol() {
        HubSettings s = new HubSettings("main", "nats://127.0.0.1:4222", null, null, Duration.ofSeconds(5), Duration.ofSeconds(15),
                null, null, null, null, null, null, 10_000, Duration.ofMinutes(10), Duration.ofHours(1), 128, 262_144, 10_000, 1_000_000, null);

        assertThat(s.leaseTtl()).isEqualTo(io.quotahub.engine.EngineConfig.DEFAULT_LEASE_TTL);
        assertThat(s.settleMargin()).isEqualTo(io.quotahub.engine.EngineConfig.DEFAULT_SETTLE_MARGIN);
        assertThat(s.takeoverAfter()).isEqualTo(HubSettings.DEFAULT_TAKEOVER_AFTER).isEqualTo(
                io.quotahub.hub.replication.ReplicationSettings.ofDefaults().takeoverAfter());
        assertThat(s.rebalanceFloor()).isEqualTo(HubSettings.DEFAULT_REBALANCE_FLOOR);
    }


    void theDefaultsAreValid() {
        HubSettings s = settings(Duration.ofHours(1), 128, 262_144, 10_000, 1_000_000);

        assertThat(s.maxCooldown()).isEqualTo(Duration.ofHours(1));
        assertThat(s.maxFieldBytes()).isEqualTo(128);
    }

    @Test
    void eachBadBoundIsRefusedNamingItsProperty() {
        assertThatThrownBy(() -> settings(Duration.ZERO, 128, 262_144, 10_000, 1_000_000))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.max-cooldown");
        assertThatThrownBy(() -> settings(Duration.ofDays(3650), 128, 262_144, 10_000, 1_000_000))
                .hasMessageContaining("quotahub.max-cooldown must be between PT1S and PT168H");
        assertThatThrownBy(() -> settings(Duration.ofHours(1), 16, 262_144, 10_000, 1_000_000))
                .hasMessageContaining("quotahub.max-field-bytes must be between 64 and 4096, was 16");
        assertThatThrownBy(() -> settings(Duration.ofHours(1), 128, 100, 10_000, 1_000_000))
                .hasMessageContaining("quotahub.max-message-bytes");
        assertThatThrownBy(() -> settings(Duration.ofHours(1), 128, 262_144, 0, 1_000_000))
                .hasMessageContaining("quotahub.max-agents must be >= 1, was 0");
        assertThatThrownBy(() -> settings(Duration.ofHours(1), 128, 262_144, 10_000, -5))
                .hasMessageContaining("quotahub.max-request-index must be >= 1, was -5");
    }
}
