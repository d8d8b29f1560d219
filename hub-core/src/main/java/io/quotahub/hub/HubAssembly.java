package io.quotahub.hub;

import io.micrometer.core.instrument.MeterRegistry;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.audit.AuditBackfill;
import io.quotahub.hub.audit.AuditSettings;
import io.quotahub.hub.audit.AuditStore;
import io.quotahub.hub.audit.AuditedLedger;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.config.LivePools;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.service.Reloads;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.ledger.JetStreamLedger;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerCursor;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.hub.ledger.PeerFeed;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.hub.metrics.AcquireLatency;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.replication.CausalMerge;
import io.quotahub.hub.replication.DemandCounter;
import io.quotahub.hub.replication.NatsPeerLink;
import io.quotahub.hub.replication.PeerConnection;
import io.quotahub.hub.replication.Replication;
import io.quotahub.hub.replication.ReplicationSettings;
import io.quotahub.hub.service.AcquireOutcome;
import io.quotahub.hub.service.AcquireService;
import io.quotahub.hub.service.AgentRegistry;
import io.quotahub.hub.service.InputBounds;
import io.quotahub.hub.service.NatsApi;
import io.quotahub.hub.service.RequestIndex;
import io.quotahub.hub.service.SettleService;
import io.quotahub.hub.snapshot.HubSnapshot;
import io.quotahub.hub.snapshot.SnapshotBuilder;
import io.quotahub.hub.snapshot.Snapshots;
import io.nats.client.Connection;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.concurrent.Callable;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Assembles the parts of the hub that need its NATS connection — ledger, audit stream, snapshots,
 * the peer's copy and the two-hub protocol, the NATS API — in order: open the ledger, restore the
 * newest snapshot, replay both ledgers in causal order, then serve. Its collaborators are beans
 * (constructor injection); what it opens is handed back as one {@link RunningHub}.
 */
@Singleton
class HubAssembly {

    private static final Logger LOG = LoggerFactory.getLogger(HubAssembly.class);
    private static final Duration SNAPSHOT_CHECK = Duration.ofSeconds(10);

    private final HubSettings settings;
    private final AuditSettings auditSettings;
    private final PoolsConfig pools;
    private final LivePools live;
    private final Reloads reloads;
    private final ConfigAgreement agreement;
    private final QuotaEngine engine;
    private final HubLedger hubLedger;
    private final RequestIndex requests;
    private final AcquireService acquire;
    private final SettleService settle;
    private final AgentRegistry agents;
    private final MeterRegistry registry;
    private final InputBounds bounds;
    private final GuardMetrics guardMetrics;
    private final DemandCounter demand;
    private final ReplicationSettings protocol;
    private final Clock clock;
    /**
     * The snapshot the engine was restored from by an earlier attempt, or null. Kept here, not by
     * the caller, because the engine keeps it even when that attempt failed afterwards (e.g. the
     * replay timed out): a retry must not restore into the engine again (it refuses, it is no longer
     * fresh) but go on from the same snapshot.
     */
    private HubSnapshot engineRestoredFrom;

    HubAssembly(HubSettings settings, AuditSettings auditSettings, PoolsConfig pools, QuotaEngine engine, HubLedger hubLedger,
                RequestIndex requests, AcquireService acquire, SettleService settle, AgentRegistry agents,
                MeterRegistry registry, InputBounds bounds, GuardMetrics guardMetrics, DemandCounter demand,
                ReplicationSettings protocol, Clock clock, LivePools live, Reloads reloads, ConfigAgreement agreement) {
        this.agreement = agreement;
        this.settings = settings;
        this.live = live;
        this.reloads = reloads;
        this.auditSettings = auditSettings;
        this.pools = pools;
        this.engine = engine;
        this.hubLedger = hubLedger;
        this.requests = requests;
        this.acquire = acquire;
        this.settle = settle;
        this.agents = agents;
        this.registry = registry;
        this.bounds = bounds;
        this.guardMetrics = guardMetrics;
        this.demand = demand;
        this.protocol = protocol;
        this.clock = clock;
    }

    /**
     * Opens the ledger over {@code connection}, replays it (from a snapshot when one is usable)
     * and starts serving. May be called again after it failed (the start-up retries).
     *
     * @param snapshotConnections opens the snapshots' own connection (called only when they are on)
     */
    RunningHub open(Connection connection, Callable<Connection> snapshotConnections) throws Exception {
        Connection snapshotConnection = settings.snapshots() ? snapshotConnections.call() : null;
        try {
            return open(connection, snapshotConnection);
        } catch (Exception | Error e) {
            closeQuietly(snapshotConnection);
            throw e;
        }
    }

    private RunningHub open(Connection connection, Connection snapshotConnection) throws Exception {
        HubSnapshot restoredFrom = engineRestoredFrom;
        JetStreamLedger opened = new JetStreamLedger(connection, settings.hubId(), settings.ledgerTimeout());
        opened.onAppendLatency(AcquireLatency.ledgerAppend(registry, settings.hubId()));
        AuditStore auditStore = new AuditStore(connection, settings.hubId(), auditSettings.maxAge());
        Ledger audited = new AuditedLedger(opened, auditStore);
        AuditBackfill backfill = new AuditBackfill(auditStore.lastLedgerSeq(),
                clock.millis() - auditSettings.maxAge().toMillis());
        Consumer<LeaseRecord> rememberGrant = lease -> {
            long grantedAt = lease.grantedAt().toEpochMilli();
            if (requests.remembers(grantedAt)) { // an old grant's request can no longer be retried
                requests.remember(lease.agentId(), lease.requestId(),
                        new AcquireOutcome.Leased(lease, live.secret(new KeyRef(lease.pool(), lease.keyId()))), grantedAt);
            }
        };
        LedgerFold fold = new LedgerFold(settings.hubId(), engine, rememberGrant, acquire.shadowWatch());
        Consumer<StoredBatch> applyOwn = batch -> {
            fold.applyOwn(batch);
            backfill.observe(batch);
        };
        long t0 = System.nanoTime();
        Snapshots snaps = snapshotConnection != null ? new Snapshots(snapshotConnection, settings.hubId(), settings.peerId(),
                engine.config(), engine::config, clock, settings.snapshotEvery(), settings.snapshotMaxAge()) : null;
        if (restoredFrom == null && snaps != null) {
            HubSnapshot snap = snaps.loadUsable();
            if (snap != null) {
                SnapshotBuilder.restore(snap, engine, fold); // checked on a scratch engine by loadUsable
                engine.openLeases().forEach(rememberGrant);  // retries of requests granted before it
                restoredFrom = snap;
                engineRestoredFrom = snap;
            }
        } else if (restoredFrom != null) {
            SnapshotBuilder.restoreFold(restoredFrom, fold); // a retry: the engine still holds the snapshot
        }
        long ownAfter = restoredFrom == null ? 0 : restoredFrom.ownSeq();
        long peerAfter = restoredFrom == null ? 0 : restoredFrom.peerSeq();
        Ledger.ReplayResult replay;
        Replication replication = null;
        PeerConnection peer = null;
        if (settings.hasPeer()) {
            PeerFeed feed = new PeerFeed(connection, settings.peerId(), settings.peerJetStreamDomain());
            NatsPeerLink link = new NatsPeerLink(connection, settings.hubId(), settings.peerId(), settings.peerJetStreamDomain(),
                    clock);
            replication = new Replication(settings.hubId(), settings.peerId(), engine, audited, fold, link, clock, protocol, demand);
            replay = replayWithPeer(opened, feed, replication, applyOwn, ownAfter, peerAfter);
            peer = new PeerConnection(connection, replication, feed, settings.peerId(), agreement, clock);
            peer.start();
        } else {
            replay = opened.replayAfter(ownAfter, applyOwn, () -> 0);
        }
        backfill.copyTo(auditStore, settings.hubId());
        hubLedger.open(audited);
        if (replication != null) {
            Replication r = replication;
            reloads.peerServing(() -> !r.ownsPeerLeases());
        }
        fold.listen(reloads);   // the peer's reloads and rotations, folded from now on
        reloads.afterStart(fold); // and one it accepted while this hub was away
        NatsApi api = new NatsApi(connection, acquire, settle, agents, settings.hubId(), registry, bounds, guardMetrics);
        api.start();
        if (snaps != null) {
            snaps.start(settings.snapshotMaxAge().compareTo(SNAPSHOT_CHECK) < 0 ? settings.snapshotMaxAge() : SNAPSHOT_CHECK);
        }
        LOG.info("QuotaHub hub {} ready: replayed {} ledger events in {} ms{}, pools {}{}{}", settings.hubId(), replay.events(),
                (System.nanoTime() - t0) / 1_000_000,
                restoredFrom == null ? "" : " after the snapshot of own ledger through " + restoredFrom.ownSeq()
                        + " and peer copy through " + restoredFrom.peerSeq() + " (" + restoredFrom.events() + " events)",
                pools.pools().stream().map(p -> p.name() + "(" + p.keys().size() + " keys)").toList(),
                settings.hasPeer() ? ", peer " + settings.peerId() : "",
                opened.fenced() ? " — FENCED by the peer: grants resume once its takeover is folded" : "");
        return new RunningHub(opened, audited, auditStore, api, replication, peer, snaps, restoredFrom, snapshotConnection);
    }

    /** Closes a connection, if any, without letting an interrupt escape unrecorded. */
    static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Streaming causal merge: own batches are folded as they are read, the peer copy is read only as
     * far as each own batch needs (its peer_seq), the rest of it after the own ledger. Peer batches
     * go through Replication, which folds them and moves the peer cursor.
     */
    private static Ledger.ReplayResult replayWithPeer(JetStreamLedger opened, PeerFeed feed, Replication r,
                                                      Consumer<StoredBatch> applyOwn, long ownAfter, long peerAfter)
            throws Exception {
        try (LedgerCursor peerCopy = feed.open(peerAfter)) {
            r.startPeerCursorAt(peerAfter); // where the snapshot ends (0: none)
            CausalMerge merge = new CausalMerge(peerCopy, ownAfter, peerAfter, applyOwn, r::foldPeerAtStart);
            Ledger.ReplayResult replay = opened.replayAfter(ownAfter, merge::own, r::peerCursor);
            merge.finish();
            return replay;
        }
    }
}
