package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;
import java.util.Map;

/**
 * The hub's own settings under {@code quotahub} (pools are read separately, see {@link PoolsConfigReader}).
 *
 * @param hubId          this hub's id: {@code main} or {@code edge}
 * @param natsUrl        the local NATS server (a hub connects to its own server only)
 * @param leaseTtl       how long a lease may stay open before the hub settles it as expired
 * @param settleMargin   how long past its window a settled call still counts (agent-to-provider delay)
 * @param ledgerTimeout  how long to wait for the ledger's acknowledgement of an append
 * @param agentDeadAfter an agent silent this long is dead and its open leases are reclaimed
 * @param peerId         the other hub's id; unset for a single hub
 * @param domain         this hub's JetStream domain (defaults to the hub id)
 * @param peerDomain     the peer's JetStream domain (defaults to the peer id)
 * @param initialSplit   share of every limit per hub id at first start (both hubs must agree); equal by default
 * @param rebalanceFloor share of every limit each hub keeps whatever the demand
 * @param takeoverAfter  peer silence after which a peer whose NATS server answers is fenced and taken over
 * @param snapshotEvery  write a snapshot once this many ledger messages (own + peer copy; a message
 *                       holds 1–512 events) came after the newest, at most every 30 s; 0 turns snapshots off
 * @param snapshotMaxAge also write one when the newest is this old and anything came after it
 */
@ConfigurationProperties("quotahub")
public record HubSettings(
        String hubId,
        @Bindable(defaultValue = "nats://127.0.0.1:4222") String natsUrl,
        @Bindable(defaultValue = "60s") Duration leaseTtl,
        @Bindable(defaultValue = "250ms") Duration settleMargin,
        @Bindable(defaultValue = "5s") Duration ledgerTimeout,
        @Bindable(defaultValue = "15s") Duration agentDeadAfter,
        @Nullable String peerId,
        @Nullable String domain,
        @Nullable String peerDomain,
        @Nullable Map<String, Double> initialSplit,
        @Bindable(defaultValue = "0.1") double rebalanceFloor,
        @Bindable(defaultValue = "2500ms") Duration takeoverAfter,
        @Bindable(defaultValue = "10000") long snapshotEvery,
        @Bindable(defaultValue = "10m") Duration snapshotMaxAge) {

    public HubSettings {
        if (hubId == null || !hubId.matches("[A-Za-z0-9_-]+")) {
            throw new ConfigException("quotahub.hub-id must be set to a simple name such as main or edge, was '" + hubId + "'");
        }
        if (peerId != null && (peerId.equals(hubId) || !peerId.matches("[A-Za-z0-9_-]+"))) {
            throw new ConfigException("quotahub.peer-id must name the other hub (e.g. edge), was '" + peerId + "'");
        }
        if (snapshotEvery < 0) {
            throw new ConfigException("quotahub.snapshot-every must be >= 0 (0 turns snapshots off), was " + snapshotEvery);
        }
        if (snapshotMaxAge == null || snapshotMaxAge.isNegative() || snapshotMaxAge.isZero()) {
            throw new ConfigException("quotahub.snapshot-max-age must be > 0, was " + snapshotMaxAge);
        }
        if (rebalanceFloor < 0 || rebalanceFloor > 0.5) {
            throw new ConfigException("quotahub.rebalance-floor must be between 0 and 0.5, was " + rebalanceFloor);
        }
    }

    /** Whether the hub writes and restarts from snapshots. */
    public boolean snapshots() {
        return snapshotEvery > 0;
    }

    /** Whether a second hub is configured. */
    public boolean hasPeer() {
        return peerId != null;
    }

    public String jetStreamDomain() {
        return domain == null ? hubId : domain;
    }

    public String peerJetStreamDomain() {
        return peerDomain == null ? peerId : peerDomain;
    }

    /** Initial budget share per hub: the configured split, or equal shares. */
    public Map<String, Double> budgetShares() {
        if (!hasPeer()) {
            return Map.of(hubId, 1.0);
        }
        if (initialSplit == null || initialSplit.isEmpty()) {
            return Map.of(hubId, 0.5, peerId, 0.5);
        }
        if (!initialSplit.containsKey(hubId) || !initialSplit.containsKey(peerId) || initialSplit.size() != 2) {
            throw new ConfigException("quotahub.initial-split must give a share to exactly " + hubId + " and " + peerId
                    + ", was " + initialSplit);
        }
        double sum = initialSplit.values().stream().mapToDouble(Double::doubleValue).sum();
        if (sum > 1.0 + 1e-9 || initialSplit.values().stream().anyMatch(v -> v < 0)) {
            throw new ConfigException("quotahub.initial-split shares must be >= 0 and add up to at most 1, were " + initialSplit);
        }
        return Map.copyOf(initialSplit);
    }
}
