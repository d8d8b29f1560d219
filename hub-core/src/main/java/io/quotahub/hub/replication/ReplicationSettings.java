package io.quotahub.hub.replication;

import io.quotahub.hub.config.HubSettings;

import java.time.Duration;

/**
 * Timing and split of the two-hub protocol.
 *
 * @param suspectAfter  peer silence after which this hub probes the peer's NATS server
 * @param takeoverAfter peer silence after which this hub fences a peer whose server still answers
 * @param floor         share of every limit each hub keeps whatever the demand
 * @param initialShare  this hub's share of every limit at first start and when both sides are idle
 */
public record ReplicationSettings(Duration suspectAfter, Duration takeoverAfter, double floor, double initialShare) {

    /** The longest a call on the peer's stream (probe, fence, ledger read) may block: it must fail fast when the peer is gone. */
    public static final Duration PEER_TIMEOUT = Duration.ofMillis(750);

    public static ReplicationSettings ofDefaults() {
        return new ReplicationSettings(Duration.ofMillis(1000), HubSettings.DEFAULT_TAKEOVER_AFTER, HubSettings.DEFAULT_REBALANCE_FLOOR, 0.5);
    }
}
