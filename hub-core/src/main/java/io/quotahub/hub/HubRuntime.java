package io.quotahub.hub;

import io.micronaut.context.event.ShutdownEvent;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.runtime.event.annotation.EventListener;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.engine.Health;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.audit.AuditStore;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.NatsSettings;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.metrics.HubReadout;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.hub.replication.PeerView;
import io.quotahub.hub.replication.Replication;
import io.quotahub.hub.service.AgentRegistry;
import io.quotahub.hub.service.LeaseReaper;
import io.quotahub.hub.service.Reloads;
import io.quotahub.hub.service.RequestIndex;
import io.quotahub.hub.snapshot.HubSnapshot;
import io.quotahub.hub.snapshot.Snapshots;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Brings the hub up in order — connect to the local NATS server, open and replay the ledger
 * ({@link HubAssembly}), then serve — and takes it down again. Start-up runs from the
 * {@link StartupEvent} on a thread of its own and retries until NATS answers, so the HTTP
 * endpoints (liveness, readiness) are up from the first second; shutdown runs from the
 * {@link ShutdownEvent}. The hub's state is one {@link Phase}: starting, running or closed.
 *
 * <p>Threads: {@code qh-hub-startup} (start-up, then ends), {@code qh-hub-announce}
 * ({@link Announcer}), {@code qh-hub-housekeeping} (lease reaper, dead agents, replication tick).
 */
@Singleton
public class HubRuntime implements HubReadout, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HubRuntime.class);

    /** What the hub is doing: exactly one of these at a time. */
    private sealed interface Phase {
        /** Waiting for NATS or for the replay; {@code connection} once open. */
        record Starting(String problem, @Nullable Connection connection) implements Phase {
        }

        record Running(Connection connection, RunningHub hub) implements Phase {
        }

        record Closed() implements Phase {
        }
    }

    private final HubSettings settings;
    private final NatsSettings natsSettings;
    private final QuotaEngine engine;
    private final HubLedger hubLedger;
    private final RequestIndex requests;
    private final AgentRegistry agents;
    private final HubAssembly assembly;
    private final Announcer announcer;
    private final Reloads reloads;
    private final Clock clock;
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "qh-hub-housekeeping");
        t.setDaemon(true);
        return t;
    });
    private volatile Phase phase = new Phase.Starting("starting", null);

    HubRuntime(HubSettings settings, NatsSettings natsSettings, QuotaEngine engine, HubLedger hubLedger, RequestIndex requests,
               AgentRegistry agents, HubAssembly assembly, Announcer announcer, Clock clock, Reloads reloads) {
        this.reloads = reloads;
        this.clock = clock;
        this.settings = settings;
        this.natsSettings = natsSettings;
        this.engine = engine;
        this.hubLedger = hubLedger;
        this.requests = requests;
        this.agents = agents;
        this.assembly = assembly;
        this.announcer = announcer;
    }

    @EventListener
    void onStartup(StartupEvent event) {
        Thread starter = new Thread(this::startUp, "qh-hub-startup");
        starter.setDaemon(true);
        starter.start();
    }

    /**
     * A planned stop (systemd stop, Ctrl-C): hands over to the peer before closing anything, so the
     * peer records a hand-over, not a failover.
     */
    @EventListener
    void onShutdown(ShutdownEvent event) {
        stopGracefully();
        close();
    }

    /** The hard bound of a planned stop's hand-over; close() follows, well within systemd's stop timeout. */
    static final Duration STOP_BOUND = Duration.ofSeconds(7);
    private static final Duration DECISIONS_WAIT = Duration.ofSeconds(1);
    /** Two announcements and two of the peer's ticks: the peer has heard "stopping" and gives this hub no more budget. */
    private static final Duration PEER_HEARS_STOPPING = Duration.ofMillis(600);
    private static final Duration CATCH_UP_WAIT = Duration.ofMillis(1500);
    private static final Duration REPLIES_WAIT = Duration.ofSeconds(1);

    /**
     * The planned stop (docs/architecture.md, "Planned stop: the hand-over"): stop deciding
     * acquires (they are answered UNAVAILABLE, which sends agents to the other hub at once, and the
     * announcements say "not ready"), wait for the decisions under way, append the HandOver of
     * this hub's budget and open leases behind every grant, wait for the grants' replies, then let
     * {@link #close()} run. Each wait is bounded and the whole within {@link #STOP_BOUND}: whatever
     * does not finish in time is left to the peer's normal takeover.
     */
    void stopGracefully() {
        if (!(phase instanceof Phase.Running running)) {
            return;
        }
        long start = clock.millis();
        long deadline = start + STOP_BOUND.toMillis();
        hubLedger.stopGranting(); // from here the announcements say "not ready, stopping"
        LOG.info("hub {}: stopping as planned: no new acquires; handing over to its peer", settings.hubId());
        if (!awaitUntil(() -> hubLedger.decisionsUnderway() == 0, Math.min(deadline, start + DECISIONS_WAIT.toMillis()))) {
            LOG.warn("hub {}: acquires still being decided after {}: not handing over, the peer takes over instead",
                    settings.hubId(), DECISIONS_WAIT);
            return;
        }
        Replication replication = running.hub().replication();
        if (replication != null) {
            replication.stopRebalancing();
            if (replication.status() == PeerStatus.CONNECTED) {
                awaitUntil(() -> false, Math.min(deadline, clock.millis() + PEER_HEARS_STOPPING.toMillis())); // a pause
                long tail = replication.peerTail();
                if (tail >= 0 && !awaitUntil(() -> replication.caughtUpWith(tail), Math.min(deadline, clock.millis() + CATCH_UP_WAIT.toMillis()))) {
                    LOG.warn("hub {}: not caught up with {}'s ledger in time: transfers to this hub stay in flight until it returns",
                            settings.hubId(), settings.peerId());
                }
            }
            try {
                long seq = replication.handOver()
                        .get(Math.max(1, deadline - clock.millis()), TimeUnit.MILLISECONDS);
                LOG.info("hub {}: hand-over to {} stored at ledger sequence {}", settings.hubId(), settings.peerId(), seq);
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("hub {}: hand-over not stored ({}): the peer takes this hub over after its silence",
                        settings.hubId(), e.getCause() != null ? e.getCause().toString() : e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        awaitUntil(() -> running.hub().api().acquiresInFlight() == 0, Math.min(deadline, clock.millis() + REPLIES_WAIT.toMillis()));
        LOG.info("hub {}: ready to close after {} ms", settings.hubId(), clock.millis() - start);
    }

    /** Polls {@code done} until it holds or {@code deadlineMillis} passes; true when it held. */
    private boolean awaitUntil(BooleanSupplier done, long deadlineMillis) {
        while (!done.getAsBoolean()) {
            if (clock.millis() >= deadlineMillis) {
                return false;
            }
            sleep(5);
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return true;
    }

    private void startUp() {
        Connection connection = null;
        LOG.info("hub {}: connecting to NATS at {} ({})", settings.hubId(), settings.natsUrl(), natsSettings.describe(settings.hubId()));
        while (!(phase instanceof Phase.Closed)) {
            try {
                if (connection == null) {
                    connection = connect("");
                    announcer.start(connection, this::ready, hubLedger::stoppedGranting);
                    if (!setPhase(new Phase.Starting("replaying the ledger", connection))) {
                        HubAssembly.closeQuietly(connection);
                        return;
                    }
                }
                RunningHub hub = assembly.open(connection, () -> connect("snapshots"));
                if (!setPhase(new Phase.Running(connection, hub))) {
                    hub.close(); // closed meanwhile
                    return;
                }
                schedule(hub);
                return;
            } catch (Exception e) {
                if (!setPhase(new Phase.Starting("waiting for NATS at " + settings.natsUrl() + ": " + e.getMessage(), connection))) {
                    HubAssembly.closeQuietly(connection);
                    return;
                }
                LOG.warn("hub {} not ready, retrying in 1 s: {}", settings.hubId(), e.getMessage());
                sleep(1000);
            }
        }
    }

    /** Moves to {@code next} unless the hub was closed meanwhile (then false). */
    private synchronized boolean setPhase(Phase next) {
        if (phase instanceof Phase.Closed) {
            return false;
        }
        phase = next;
        return true;
    }

    private void schedule(RunningHub hub) {
        housekeeping.scheduleAtFixedRate(new LeaseReaper(engine, hubLedger, requests, settings.hubId(), this::mayExpire),
                250, 250, TimeUnit.MILLISECONDS);
        housekeeping.scheduleAtFixedRate(() -> guarded("reclaiming dead agents' leases",
                () -> agents.reclaimDead(hub.ownLedger(), settings.hubId())), 1, 1, TimeUnit.SECONDS);
        if (hub.replication() != null) {
            Replication replication = hub.replication();
            housekeeping.scheduleAtFixedRate(() -> guarded("replication tick", replication::tick), 250, 250, TimeUnit.MILLISECONDS);
            // a peer's reload folded while this hub could not write (fenced, starting): followed once it can
            housekeeping.scheduleAtFixedRate(() -> guarded("following the peer's reload", reloads::retryPending), 1, 1,
                    TimeUnit.SECONDS);
        }
    }

    /** A failure must not end the periodic task (a scheduled task that throws is never run again). */
    private static void guarded(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.warn("{} failed: {}", what, e.toString());
        }
    }

    /** A hub expires its own leases, and its peer's once it took the peer over. */
    private boolean mayExpire(String leaseHubId) {
        Replication r = replication();
        return leaseHubId.equals(settings.hubId()) || r != null && r.ownsPeerLeases();
    }

    private Optional<RunningHub> running() {
        return phase instanceof Phase.Running r ? Optional.of(r.hub()) : Optional.empty();
    }

    /** The hub's snapshots, or null (turned off, or before start-up finished). */
    public Snapshots snapshots() {
        return running().map(RunningHub::snapshots).orElse(null);
    }

    /** The snapshot this run started from, or null (a full replay, or before start-up finished). */
    public HubSnapshot restoredFrom() {
        return running().map(RunningHub::restoredFrom).orElse(null);
    }

    /** The hub's audit stream, or null before start-up finished. */
    public AuditStore audit() {
        return running().map(RunningHub::audit).orElse(null);
    }

    /** The two-hub protocol, or null for a single hub (or before start-up finished). */
    public Replication replication() {
        return running().map(RunningHub::replication).orElse(null);
    }

    @Override
    public Optional<PeerView> peer() {
        return Optional.ofNullable(replication()).map(Replication::view);
    }

    @Override
    public long takeovers(boolean declared) {
        Replication r = replication();
        return r == null ? 0 : r.takeovers(declared);
    }

    @Override
    public long handOvers() {
        Replication r = replication();
        return r == null ? 0 : r.handOvers();
    }

    @Override
    public Collection<Health> agentHealth() {
        return agents.all().values();
    }

    /** @param purpose "" for the serving connection, else what the extra connection is for (its name says it) */
    private Connection connect(String purpose) throws Exception {
        Options options = natsSettings.applyTo(Options.builder(), settings.hubId())
                .server(settings.natsUrl())
                .connectionName("quotahub-hub-" + settings.hubId() + (purpose.isEmpty() ? "" : "-" + purpose))
                .noRandomize()
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(250))
                .pingInterval(Duration.ofSeconds(1))
                .connectionTimeout(Duration.ofSeconds(2))
                .connectionListener((conn, event) -> {
                    if (event == ConnectionListener.Events.DISCONNECTED || event == ConnectionListener.Events.RECONNECTED) {
                        LOG.warn("hub {}: NATS {}{}", settings.hubId(), event, purpose.isEmpty() ? "" : " (" + purpose + ")");
                    }
                })
                .build();
        return Nats.connect(options);
    }

    /** Ready to grant: connected, ledger replayed, not fenced. */
    @Override
    public boolean ready() {
        return phase instanceof Phase.Running r && hubLedger.ready() && r.connection().getStatus() == Connection.Status.CONNECTED;
    }

    /** Why the hub is not ready, or null. */
    public String notReadyReason() {
        Phase p = phase;
        if (p instanceof Phase.Starting s) {
            return s.problem();
        }
        if (!(p instanceof Phase.Running r)) {
            return "closed";
        }
        if (r.connection().getStatus() != Connection.Status.CONNECTED) {
            return "NATS connection " + r.connection().getStatus();
        }
        if (hubLedger.stoppedGranting()) {
            return "stopping: handing over to the peer";
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
        Phase p = phase;
        return p instanceof Phase.Running r ? r.connection() : p instanceof Phase.Starting s ? s.connection() : null;
    }

    @PreDestroy
    @Override
    public void close() {
        Phase last;
        synchronized (this) {
            last = phase;
            phase = new Phase.Closed();
        }
        announcer.close();
        housekeeping.shutdownNow();
        if (last instanceof Phase.Running r) {
            r.hub().close();
            HubAssembly.closeQuietly(r.connection());
        } else if (last instanceof Phase.Starting s) {
            HubAssembly.closeQuietly(s.connection()); // the start-up thread sees Closed and stops
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
