package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

import java.time.Duration;

/**
 * The hub's own settings under {@code quotahub} (pools are read separately, see {@link PoolsConfigReader}).
 *
 * @param hubId          this hub's id: {@code main} or {@code edge}
 * @param natsUrl        the local NATS server (a hub connects to its own server only)
 * @param leaseTtl       how long a lease may stay open before the hub settles it as expired
 * @param settleMargin   how long past its window a settled call still counts (agent-to-provider delay)
 * @param ledgerTimeout  how long to wait for the ledger's acknowledgement of an append
 * @param agentDeadAfter an agent silent this long is dead and its open leases are reclaimed
 */
@ConfigurationProperties("quotahub")
public record HubSettings(
        String hubId,
        @Bindable(defaultValue = "nats://127.0.0.1:4222") String natsUrl,
        @Bindable(defaultValue = "60s") Duration leaseTtl,
        @Bindable(defaultValue = "250ms") Duration settleMargin,
        @Bindable(defaultValue = "5s") Duration ledgerTimeout,
        @Bindable(defaultValue = "15s") Duration agentDeadAfter) {

    public HubSettings {
        if (hubId == null || !hubId.matches("[A-Za-z0-9_-]+")) {
            throw new ConfigException("quotahub.hub-id must be set to a simple name such as main or edge, was '" + hubId + "'");
        }
    }
}
