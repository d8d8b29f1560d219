package io.quotahub.hub.diagnostics;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import io.quotahub.hub.config.ConfigException;
import io.quotahub.hub.replication.ReplicationSettings;

import java.time.Duration;

/**
 * Thresholds of the diagnostics under {@code quotahub.diagnostics}; the defaults follow docs/operations.md
 * ("Alerts", "Diagnostics": memory alert at 80 %, rate-limit check under 1 ms, sync under 2 s).
 *
 * @param memoryWarn         heap used / max above which the memory check warns
 * @param memoryFail         heap used / max above which it fails
 * @param baselineDecisions  decisions in the performance baseline's timed burst
 * @param baselineWarn       p99 of one decision above which the baseline warns
 * @param baselineFail       p99 above which it fails
 * @param rttWarn            NATS round trip above which the network check warns
 * @param lagWarn            replication lag above which the network check warns
 * @param natsTimeout        timeout of each JetStream management call a check makes; by default as long as
 *                           the hub's own calls on the peer's stream ({@link ReplicationSettings#PEER_TIMEOUT})
 * @param cacheTtl           how long a level's report is answered from the cache (0: every request runs the checks)
 * @param healthInterval     how often the periodic health checks of the hub's own dependencies run
 */
@ConfigurationProperties("quotahub.diagnostics")
public record DiagnosticsSettings(
        @Bindable(defaultValue = "0.8") double memoryWarn,
        @Bindable(defaultValue = "0.9") double memoryFail,
        @Bindable(defaultValue = "2000") int baselineDecisions,
        @Bindable(defaultValue = "1ms") Duration baselineWarn,
        @Bindable(defaultValue = "10ms") Duration baselineFail,
        @Bindable(defaultValue = "100ms") Duration rttWarn,
        @Bindable(defaultValue = "2s") Duration lagWarn,
        @Nullable Duration natsTimeout,
        @Bindable(defaultValue = "30s") Duration cacheTtl,
        @Bindable(defaultValue = "30s") Duration healthInterval) {

    public DiagnosticsSettings {
        natsTimeout = natsTimeout != null ? natsTimeout : ReplicationSettings.PEER_TIMEOUT;
        if (cacheTtl == null || cacheTtl.isNegative()) {
            throw new ConfigException("quotahub.diagnostics.cache-ttl must be 0 (no cache) or positive, was " + cacheTtl);
        }
        if (healthInterval == null || healthInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("quotahub.diagnostics.health-interval must be at least 1s, was " + healthInterval);
        }
    }

    public static DiagnosticsSettings ofDefaults() {
        return new DiagnosticsSettings(0.8, 0.9, 2000, Duration.ofMillis(1), Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ofSeconds(2), null, Duration.ofSeconds(30), Duration.ofSeconds(30));
    }
}
