package io.quotahub.hub;

import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.engine.Lease;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.audit.AuditBackfill;
import io.quotahub.hub.audit.AuditSettings;
import io.quotahub.hub.audit.AuditStore;
import io.quotahub.hub.audit.AuditedLedger;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.NatsSettings;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.ledger.JetStreamLedger;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.hub.ledger.PeerFeed;
import io.quotahub.hub.ledger.LedgerCursor;
import io.quotahub.hub.snapshot.HubSnapshot;
import io.quotahub.hub.snapshot.SnapshotBuilder;
import io.quotahub.hub.snapshot.Snapshots;
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
import io.quotahub.hub.service.HubLedger;
import io.quotahub.hub.service.InputBounds;
import io.quotahub.hub.service.LeaseReaper;
import io.quotahub.hub.service.NatsApi;
import io.quotahub.hub.service.RequestIndex;
import io.quotahub.hub.service.SettleService;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.Subjects;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Brings the hub up in order — connect to the local NATS server, open and replay the ledger,
 * then serve — and takes it down again. Start-up runs in the background and retries until NATS
 * answers, so the HTTP endpoints (liveness, readiness) are up from the first second.
 */
@Context
public class HubRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HubRuntime.class);

    private final HubSettings settings;
    private final NatsSettings natsSettings;
    private boolean connectLogged; // the start-up thread's own
    private final PoolsConfig pools;
    private final QuotaEngine engine;
    private final HubLedger hubLedger;
    private final RequestIndex requests;
    private final AcquireService acquire;
    private final SettleService settle;
    private final AgentRegistry agents;
    private final MeterRegistry registry;
    private final InputBounds bounds;
    private final GuardMetrics guardMetrics;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "qh-hub-housekeeping");
        t.setDaemon(true);
        return t;
    });
    private volatile Connection connection;
    private volatile Ledger ledger;
    private volatile NatsApi api;
    private volatile Replication replication;
    private volatile AuditStore audit;
    private final AuditSettings auditSettings;
    private volatile PeerConnection peerConnection;
    private final Clock clock;
    private final DemandCounter demand;
    private volatile boolean closed;
    private volatile Snapshots snapshots;
    /** The snapshot the engine was restored from (kept across start-up retries: the engine holds it). */
    private volatile HubSnapshot restoredFrom;
    private static final Duration SNAPSHOT_CHECK = Duration.ofSeconds(10);
    private volatile String startupProblem = "starting";

    public HubRuntime(HubSettings settings, PoolsConfig pools, QuotaEngine engine, HubLedger hubLedger,
                      RequestIndex requests, AcquireService acquire, SettleService settle, Clock clock,
                      MeterRegistry registry, DemandCounter demand, InputBounds bounds, GuardMetrics guardMetrics,
                      NatsSettings natsSettings, AuditSettings auditSettings) {
        this.natsSettings = natsSettings;
        this.auditSettings = auditSettings;
        this.bounds = bounds;
        this.guardMetrics = guardMetrics;
        this.demand = demand;
        this.settings = settings;
        this.pools = pools;
        this.engine = engine;
        this.hubLedger = hubLedger;
        this.requests = requests;
        this.acquire = acquire;
        this.settle = settle;
        this.registry = registry;
        this.clock = clock;
        this.agents = new AgentRegistry(clock, settings.agentDeadAfter(), engine, settings.maxAgents(), guardMetrics);
        guardMetrics.watchAgentRegistry(agents::size, agents.maxAgents());
        Thread starter = new Thread(this::startUp, "qh-hub-startup");
        starter.setDaemon(true);
        starter.start();
    }

    private void startUp() {
        while (!closed) {
            try {
                if (connection == null) {
                    connection = connect();
                    // Announce from the first second (ready=false while starting): a peer hub that
                    // hears nothing from us would otherwise take us for dead and fence us.
                    scheduler.scheduleAtFixedRate(this::announce, 0, 250, TimeUnit.MILLISECONDS);
                }
                JetStreamLedger opened = new JetStreamLedger(connection, settings.hubId(), settings.ledgerTimeout());
                opened.onAppendLatency(AcquireLatency.ledgerAppend(registry, settings.hubId()));
                AuditStore auditStore = new AuditStore(connection, settings.hubId(), auditSettings.maxAge());
                Ledger audited = new AuditedLedger(opened, auditStore);
                AuditBackfill backfill = new AuditBackfill(auditStore.lastLedgerSeq(),
                        clock.millis() - auditSettings.maxAge().toMillis());
                Consumer<Lease> rememberGrant = lease -> {
                    long grantedAt = lease.grantedAt().toEpochMilli();
                    if (requests.remembers(grantedAt)) { // an old grant's request can no longer be retried
                        requests.remember(lease.agentId(), lease.requestId(),
                                new AcquireOutcome.Granted(lease, pools.secrets().get(new KeyRef(lease.pool(), lease.keyId()))), grantedAt);
                    }
                };
                LedgerFold fold = new LedgerFold(settings.hubId(), engine, rememberGrant);
                Consumer<StoredBatch> applyOwn = batch -> {
                    fold.applyOwn(batch);
                    backfill.observe(batch);
                };
                long t0 = System.nanoTime();
                Snapshots snaps = settings.snapshots() ? new Snapshots(connection, settings.hubId(), settings.peerId(),
                        engine.config(), clock, settings.snapshotEvery(), settings.snapshotMaxAge()) : null;
                if (restoredFrom == null && snaps != null) {
                    HubSnapshot snap = snaps.loadUsable();
                    if (snap != null) {
                        SnapshotBuilder.restore(snap, engine, fold); // checked on a scratch engine by loadUsable
                        engine.openLeases().forEach(rememberGrant);  // retries of requests granted before it
                        restoredFrom = snap;
                    }
                } else if (restoredFrom != null) {
                    SnapshotBuilder.restoreFold(restoredFrom, fold); // a retry: the engine still holds the snapshot
                }
                long ownAfter = restoredFrom == null ? 0 : restoredFrom.ownSeq();
                long peerAfter = restoredFrom == null ? 0 : restoredFrom.peerSeq();
                Ledger.ReplayResult replay;
                if (settings.hasPeer()) {
                    replay = startWithPeer(opened, audited, fold, applyOwn, ownAfter, peerAfter);
                } else {
                    replay = opened.replayAfter(ownAfter, applyOwn, () -> 0);
                }
                ledger = audited;
                audit = auditStore;
                backfill.copyTo(auditStore, settings.hubId());
                hubLedger.open(audited);
                NatsApi natsApi = new NatsApi(connection, acquire, settle, agents, settings.hubId(), registry, bounds, guardMetrics);
                natsApi.start();
                api = natsApi;
                scheduler.scheduleAtFixedRate(new LeaseReaper(engine, hubLedger, requests, settings.hubId(), this::mayExpire),
                        250, 250, TimeUnit.MILLISECONDS);
                scheduler.scheduleAtFixedRate(() -> reclaimDeadAgents(opened), 1, 1, TimeUnit.SECONDS);
                if (replication != null) {
                    scheduler.scheduleAtFixedRate(this::replicationTick, 250, 250, TimeUnit.MILLISECONDS);
                }
                if (snaps != null) {
                    snaps.start(settings.snapshotMaxAge().compareTo(SNAPSHOT_CHECK) < 0 ? settings.snapshotMaxAge() : SNAPSHOT_CHECK);
                    snapshots = snaps;
                }
                startupProblem = null;
                LOG.info("QuotaHub hub {} ready: replayed {} ledger events in {} ms{}, pools {}{}{}", settings.hubId(), replay.events(),
                        (System.nanoTime() - t0) / 1_000_000,
                        restoredFrom == null ? "" : " after the snapshot of own ledger through " + restoredFrom.ownSeq()
                                + " and peer copy through " + restoredFrom.peerSeq() + " (" + restoredFrom.events() + " events)",
                        pools.pools().stream().map(p -> p.name() + "(" + p.keys().size() + " keys)").toList(),
                        settings.hasPeer() ? ", peer " + settings.peerId() : "",
                        opened.fenced() ? " — FENCED by the peer: grants resume once its takeover is folded" : "");
                return;
            } catch (Exception e) {
                startupProblem = "waiting for NATS at " + settings.natsUrl() + ": " + e.getMessage();
                LOG.warn("hub {} not ready, retrying in 1 s: {}", settings.hubId(), e.getMessage());
                sleep(1000);
            }
        }
    }

    private Ledger.ReplayResult startWithPeer(JetStreamLedger opened, Ledger audited, LedgerFold fold,
                                              Consumer<StoredBatch> applyOwn, long ownAfter, long peerAfter) throws Exception {
        PeerFeed feed = new PeerFeed(connection, settings.peerId(), settings.peerJetStreamDomain());
        NatsPeerLink link = new NatsPeerLink(connection, settings.hubId(), settings.peerId(), settings.peerJetStreamDomain(), clock);
        ReplicationSettings protocol = new ReplicationSettings(ReplicationSettings.ofDefaults().suspectAfter(),
                settings.takeoverAfter(), settings.rebalanceFloor(), settings.budgetShares().get(settings.hubId()));
        Replication r = new Replication(settings.hubId(), settings.peerId(), engine, audited, fold, link, clock, protocol, demand);
        Ledger.ReplayResult replay;
        // Streaming causal merge: own batches are folded as they are read, the peer copy is read
        // only as far as each own batch needs (its peer_seq), the rest of it after the own ledger.
        // Peer batches go through Replication, which folds them and moves the peer cursor.
        try (LedgerCursor peerCopy = feed.open(peerAfter)) {
            r.startPeerCursorAt(peerAfter); // where the snapshot ends (0: none)
            CausalMerge merge = new CausalMerge(peerCopy, ownAfter, peerAfter, applyOwn, r::foldPeerAtStart);
            replay = opened.replayAfter(ownAfter, merge::own, r::peerCursor);
            merge.finish();
        }
        PeerConnection peer = new PeerConnection(connection, r, feed, settings.peerId());
        peer.start();
        peerConnection = peer;
        replication = r;
        return replay;
    }

    /** A failure must not end the periodic task (a scheduled task that throws is never run again). */
    private void reclaimDeadAgents(Ledger opened) {
        try {
            agents.reclaimDead(opened, settings.hubId());
        } catch (RuntimeException e) {
            LOG.warn("reclaiming dead agents' leases failed: {}", e.toString());
        }
    }

    private void replicationTick() {
        try {
            replication.tick();
        } catch (RuntimeException e) {
            LOG.warn("replication tick failed: {}", e.toString());
        }
    }

    /** A hub expires its own leases, and its peer's once it took the peer over. */
    private boolean mayExpire(String leaseHubId) {
        return leaseHubId.equals(settings.hubId()) || replication != null && replication.ownsPeerLeases();
    }

    /** The hub's snapshots, or null (turned off, or before start-up finished). */
    public Snapshots snapshots() {
        return snapshots;
    }

    /** The snapshot this run started from, or null (a full replay). */
    public HubSnapshot restoredFrom() {
        return restoredFrom;
    }

    /** The hub's audit stream, or null before start-up finished. */
    public AuditStore audit() {
        return audit;
    }

    /** The two-hub protocol, or null for a single hub (or before start-up finished). */
    public Replication replication() {
        return replication;
    }

    private Connection connect() throws Exception {
        if (!connectLogged) {
            connectLogged = true;
            LOG.info("hub {}: connecting to NATS at {} ({})", settings.hubId(), settings.natsUrl(), natsSettings.describe(settings.hubId()));
        }
        Options options = natsSettings.applyTo(Options.builder(), settings.hubId())
                .server(settings.natsUrl())
                .connectionName("quotahub-hub-" + settings.hubId())
                .noRandomize()
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(250))
                .pingInterval(Duration.ofSeconds(1))
                .connectionTimeout(Duration.ofSeconds(2))
                .connectionListener((conn, event) -> {
                    if (event == ConnectionListener.Events.DISCONNECTED || event == ConnectionListener.Events.RECONNECTED) {
                        LOG.warn("hub {}: NATS {}", settings.hubId(), event);
                    }
                })
                .build();
        return Nats.connect(options);
    }

    private void announce() {
        Connection c = connection;
        if (c != null && c.getStatus() == Connection.Status.CONNECTED) {
            c.publish(Subjects.HUBS, HubAnnouncement.newBuilder()
                    .setHubId(settings.hubId())
                    .setSentAtEpochMs(clock.millis())
                    .setReady(ready())
                    .build().toByteArray());
        }
    }

    /** Ready to grant: connected, ledger replayed, not fenced. */
    public boolean ready() {
        Connection c = connection;
        return startupProblem == null && hubLedger.ready() && c != null && c.getStatus() == Connection.Status.CONNECTED;
    }

    /** Why the hub is not ready, or null. */
    public String notReadyReason() {
        if (startupProblem != null) {
            return startupProblem;
        }
        Connection c = connection;
        if (c == null || c.getStatus() != Connection.Status.CONNECTED) {
            return "NATS connection " + (c == null ? "not open" : c.getStatus());
        }
        return hubLedger.ready() ? null : "ledger fenced";
    }

    public String hubId() {
        return settings.hubId();
    }

    public AgentRegistry agents() {
        return agents;
    }

    /** The NATS connection once open (null before). */
    public Connection connection() {
        return connection;
    }

    @PreDestroy
    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        if (api != null) {
            api.close();
        }
        if (snapshots != null) {
            snapshots.close();
        }
        if (peerConnection != null) {
            peerConnection.close();
        }
        if (ledger != null) {
            ledger.close();
        }
        if (connection != null) {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
