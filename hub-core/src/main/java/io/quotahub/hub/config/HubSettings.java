package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import io.quotahub.engine.EngineConfig;

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
 * @param maxCooldown    the longest cooldown one provider Retry-After can cause; longer ones are
 *                       clamped to it (the ledger keeps the provider's value)
 * @param maxFieldBytes  the longest text field (agent id, request id, pool, key id, lease id, lease
 *                       secret, failure detail) a client may send, in bytes of UTF-8
 * @param maxMessageBytes the largest NATS message (and HTTP body) the hub parses. 256 KiB: an
 *                       acquire or settle is well under 1 KiB with fields at their bound, and a
 *                       heartbeat carries ≈ 64 bytes per lease its agent holds, so this fits an
 *                       agent holding ≈ 4 000 leases at once; the parse is transient (nothing of an
 *                       unproven heartbeat is kept), so the bound limits work, not memory held
 * @param maxAgents      the most agents the registry keeps (heartbeats of new agents beyond it are
 *                       ignored and counted; their leases then only expire, never get reclaimed early)
 * @param maxRequestIndex the most request ids remembered to answer retries; when full, a new acquire
 *                       is refused OVERLOADED with a retry-after. 1 000 000: the index held ≈ 1.8 M
 *                       entries (a third of a 512 MB heap, ≈ 95 B each) at 15 000 acquires/s when it
 *                       kept grants for the lease time-to-live + 1 min; it now forgets a settled
 *                       grant ≈ 20 s after its request, so an honest hub at the highest measured
 *                       durable rate (≈ 35 000/s) holds ≈ 700 000, and the cap costs at most ≈ 95 MB
 * @param peerHttpUrl   the other hub's HTTP API as its clients reach it (e.g. http://pc2:9100), named
 *                       in {@code GET /api/v1/state} so a client given one hub can find the other; unset: null
 */
@ConfigurationProperties("quotahub")
public record HubSettings(
        String hubId,
        @Bindable(defaultValue = "nats://127.0.0.1:4222") String natsUrl,
        @Nullable Duration leaseTtl,
        @Nullable Duration settleMargin,
        @Bindable(defaultValue = "5s") Duration ledgerTimeout,
        @Bindable(defaultValue = "15s") Duration agentDeadAfter,
        @Nullable String peerId,
        @Nullable String domain,
        @Nullable String peerDomain,
        @Nullable Map<String, Double> initialSplit,
        @Nullable Double rebalanceFloor,
        @Nullable Duration takeoverAfter,
        @Bindable(defaultValue = "10000") long snapshotEvery,
        @Bindable(defaultValue = "10m") Duration snapshotMaxAge,
        @Bindable(defaultValue = "1h") Duration maxCooldown,
        @Bindable(defaultValue = "128") int maxFieldBytes,
        @Bindable(defaultValue = "262144") int maxMessageBytes,
        @Bindable(defaultValue = "10000") int maxAgents,
        @Bindable(defaultValue = "1000000") int maxRequestIndex,
        @Nullable String peerHttpUrl) {

    /** Default of {@link #takeoverAfter}: the peer's silence after which this hub fences and takes over. */
    public static final Duration DEFAULT_TAKEOVER_AFTER = Duration.ofMillis(2500);
    /** Default of {@link #rebalanceFloor}: the share of every limit each hub keeps whatever the demand. */
    public static final double DEFAULT_REBALANCE_FLOOR = 0.1;

    /** Bounds of {@link #maxCooldown}: a second at least; at most a week (a daily quota's reset is a day away). */
    static final Duration MIN_COOLDOWN = Duration.ofSeconds(1);
    static final Duration MAX_COOLDOWN = Duration.ofDays(7);
    /** The hub's own lease ids (≈ 40 bytes) and UUID request ids (36) must fit. */
    static final int MIN_FIELD_BYTES = 64;
    static final int MAX_FIELD_BYTES = 4096;
    static final int MIN_MESSAGE_BYTES = 4096;
    /** nats-server's own ceiling of max_payload. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    public HubSettings {
        // one home per default: the engine's for its settings, this class's for the protocol's
        leaseTtl = leaseTtl != null ? leaseTtl : EngineConfig.DEFAULT_LEASE_TTL;
        settleMargin = settleMargin != null ? settleMargin : EngineConfig.DEFAULT_SETTLE_MARGIN;
        rebalanceFloor = rebalanceFloor != null ? rebalanceFloor : DEFAULT_REBALANCE_FLOOR;
        takeoverAfter = takeoverAfter != null ? takeoverAfter : DEFAULT_TAKEOVER_AFTER;
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
        if (maxCooldown == null || maxCooldown.compareTo(MIN_COOLDOWN) < 0 || maxCooldown.compareTo(MAX_COOLDOWN) > 0) {
            throw new ConfigException("quotahub.max-cooldown must be between " + MIN_COOLDOWN + " and " + MAX_COOLDOWN
                    + ", was " + maxCooldown);
        }
        if (maxFieldBytes < MIN_FIELD_BYTES || maxFieldBytes > MAX_FIELD_BYTES) {
            throw new ConfigException("quotahub.max-field-bytes must be between " + MIN_FIELD_BYTES + " and " + MAX_FIELD_BYTES
                    + ", was " + maxFieldBytes);
        }
        if (maxMessageBytes < MIN_MESSAGE_BYTES || maxMessageBytes > MAX_MESSAGE_BYTES) {
            throw new ConfigException("quotahub.max-message-bytes must be between " + MIN_MESSAGE_BYTES + " and " + MAX_MESSAGE_BYTES
                    + ", was " + maxMessageBytes);
        }
        if (maxAgents < 1) {
            throw new ConfigException("quotahub.max-agents must be >= 1, was " + maxAgents);
        }
        if (maxRequestIndex < 1) {
            throw new ConfigException("quotahub.max-request-index must be >= 1, was " + maxRequestIndex);
        }
        peerHttpUrl = peerHttpUrl == null || peerHttpUrl.isBlank() ? null : peerHttpUrl.trim();
        if (peerHttpUrl != null && !peerHttpUrl.matches("https?://[^\\s/]+(/\\S*)?")) {
            throw new ConfigException("quotahub.peer-http-url must be an http:// or https:// URL such as http://pc2:9100, was '"
                    + peerHttpUrl + "'");
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
