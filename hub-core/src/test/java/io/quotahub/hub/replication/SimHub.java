package io.quotahub.hub.replication;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.ledger.InMemoryLedger;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.hub.service.AcquireCommand;
import io.quotahub.hub.service.AcquireOutcome;
import io.quotahub.hub.service.AcquireService;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.service.LeaseReaper;
import io.quotahub.hub.service.RequestIndex;
import io.quotahub.hub.service.SettleCommand;
import io.quotahub.hub.service.SettleOutcome;
import io.quotahub.hub.service.SettleService;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One hub as its machine runs it: the ledger (and the copy of the peer's on the same server)
 * outlive the process; the process — engine, fold, replication, the real acquire and settle
 * services, housekeeping — is built anew at each start exactly as {@code HubRuntime} wires it:
 * replay the own ledger, fold it causally with the copy of the peer's, then follow the copy.
 *
 * <p>A running process does its work each step in a random order — follow the copy, handle
 * messages, answer queued requests, run the periodic duties — as its threads would. A hung process
 * does nothing (messages and requests wait in its buffers) until it wakes; a crashed one is gone.
 */
final class SimHub {

    enum State { RUNNING, HUNG, CRASHED }

    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(2);

    /** One run of the hub process. */
    final class Process {
        final QuotaEngine engine;
        final io.quotahub.hub.config.LivePools live;
        final io.quotahub.hub.service.Reloads reloads;
        final SimLedger ledger;
        final LedgerFold fold;
        final Replication replication;
        final HubLedger hubLedger = new HubLedger();
        final RequestIndex requests;
        final AcquireService acquire;
        final SettleService settle;
        final LeaseReaper reaper;
        final DemandCounter demand = new DemandCounter();
        final long startedAt;
        int consumed;
        long nextTick;
        long nextReap;
        long nextAnnounce;
        PeerStatus lastStatus;

        Process(long now) {
            Simulation s = sim;
            live = s.poolsOf(SimHub.this); // a restart reads the pools file of its machine again
            EngineConfig config = EngineConfig.builder(id).pools(live.config().pools())
                    .budgetShares(Map.of(Simulation.MAIN, 0.5, Simulation.EDGE, 0.5))
                    .settleMargin(s.settleMargin).leaseTtl(s.leaseTtl).build();
            engine = new QuotaEngine(config, s.clock, null);
            requests = new RequestIndex(s.clock, s.leaseTtl, Duration.ofSeconds(2), leaseId -> engine.openLease(leaseId).isPresent());
            fold = new LedgerFold(id, engine, lease -> requests.remember(lease.agentId(), lease.requestId(),
                    new AcquireOutcome.Leased(lease, live.secret(new KeyRef(lease.pool(), lease.keyId()))),
                    lease.grantedAt().toEpochMilli()));
            ledger = new SimLedger(store, () -> outage, s.faults.faultsWhileTakeoverPending(), s.faults.slowFenceNotice());
            SimPeerLink link = new SimPeerLink(id, peerId, s.net, s.trace, s::fenceWritten);
            replication = new Replication(id, peerId, engine, ledger, fold, link, s.clock, s.settings, demand);
            List<StoredBatch> own = new ArrayList<>();
            ledger.replay(own::add, replication::peerCursor);
            List<StoredBatch> peer = List.copyOf(s.net.copyOnServerOf(id));
            replication.start(own, peer);
            consumed = peer.size();
            hubLedger.open(ledger);
            // reloads as HubAssembly wires them: the peer's, folded from now on, and one missed while away
            io.quotahub.hub.config.ConfigAgreement agreement = new io.quotahub.hub.config.ConfigAgreement(
                    io.quotahub.hub.config.PoolsDigest.of(live.config().pools()), s.clock.millis());
            reloads = new io.quotahub.hub.service.Reloads(id, engine, hubLedger, live, s.poolsFiles(SimHub.this), Simulation::env,
                    agreement, s.clock, peerId, REPLY_TIMEOUT);
            reloads.peerServing(() -> !replication.ownsPeerLeases());
            fold.listen(reloads);
            reloads.afterStart(fold);
            // The reply timeout runs on wall-clock time; it never fires here: a running process's
            // appends complete at once, a dead one's answers reach nobody.
            acquire = new AcquireService(engine, hubLedger, live, requests, s.clock, demand, REPLY_TIMEOUT);
            settle = new SettleService(engine, hubLedger, s.clock, id, REPLY_TIMEOUT);
            reaper = new LeaseReaper(engine, hubLedger, requests, id,
                    leaseHub -> leaseHub.equals(id) || replication.ownsPeerLeases());
            startedAt = now;
            long phase = 50L * s.rnd.nextInt(5);
            nextAnnounce = now;                  // HubRuntime: announce at once, then every 250 ms
            nextReap = now + Simulation.PERIOD + phase;
            nextTick = now + Simulation.PERIOD + 50L * s.rnd.nextInt(5);
            lastStatus = replication.status();
            s.trace.log(id, "started: folded %d own and %d peer batches; fenced=%s, budgets %s", own.size(), peer.size(),
                    ledger.fenced(), engine.budgetsOf(id));
        }
    }

    /** An acquire that reached a hung process: answered (maybe too late) when it wakes. */
    record QueuedAcquire(AcquireCommand command, SimWorkload.Call call, int attempt) {
    }

    final String id;
    final String peerId;
    final InMemoryLedger store = new InMemoryLedger();
    private final Simulation sim;
    private final List<Object> inbox = new ArrayList<>();
    private final List<QueuedAcquire> queued = new ArrayList<>();
    State state = State.CRASHED;
    Process process;
    boolean outage;
    int incarnations;
    /** When the process last became able to run (start or wake); -1 while hung or crashed. */
    long runningSince = -1;

    SimHub(String id, String peerId, Simulation sim) {
        this.id = id;
        this.peerId = peerId;
        this.sim = sim;
    }

    void start(long now) {
        if (state != State.CRASHED) {
            throw new IllegalStateException(id + " is " + state);
        }
        incarnations++;
        process = new Process(now);
        state = State.RUNNING;
        runningSince = now;
    }

    void crash() {
        if (state == State.CRASHED) {
            return;
        }
        process.ledger.kill();
        process = null;
        state = State.CRASHED;
        runningSince = -1;
        inbox.clear();
        queued.clear(); // the callers time out
        sim.trace.log(id, "CRASHED");
    }

    /** A planned stop begins (HubRuntime.stopGracefully): no acquire is decided, no budget given, "stopping" announced. */
    void beginPlannedStop() {
        process.hubLedger.stopGranting();
        process.replication.stopRebalancing();
        sim.trace.log(id, "STOPPING (planned)");
    }

    void hang() {
        if (state == State.RUNNING) {
            state = State.HUNG;
            runningSince = -1;
            sim.trace.log(id, "HUNG");
        }
    }

    void wake(long now) {
        if (state == State.HUNG) {
            state = State.RUNNING;
            runningSince = now;
            process.nextTick = now;     // overdue periodic tasks run at once
            process.nextReap = now;
            process.nextAnnounce = now;
            sim.trace.log(id, "WOKE (%d messages, %d requests, %d peer batches waiting)", inbox.size(), queued.size(),
                    sim.net.copyOnServerOf(id).size() - process.consumed);
        }
    }

    boolean running() {
        return state == State.RUNNING;
    }

    /** Could this hub store a grant (now, or when it wakes)? Not when crashed or fenced. */
    boolean mayGrant() {
        return process != null && process.ledger.mayWrite();
    }

    /** A message from the network: kept in the client's buffer until the process reads it. */
    void receive(Object message) {
        if (state != State.CRASHED) {
            inbox.add(message);
        }
    }

    /**
     * An agent's acquire: answered now by a running process, queued by a hung one (null), and
     * "no responders" from a crashed one (also null; the caller checks {@link #state} first).
     */
    AcquireOutcome acquire(AcquireCommand command, SimWorkload.Call call, int attempt) {
        if (state == State.HUNG) {
            queued.add(new QueuedAcquire(command, call, attempt));
            return null;
        }
        if (state != State.RUNNING) {
            return null;
        }
        return answered(process.acquire.acquire(command));
    }

    SettleOutcome settle(SettleCommand command) {
        if (state != State.RUNNING) {
            return null;
        }
        SettleOutcome out = process.settle.settle(command).getNow(null);
        if (out == null) {
            throw new AssertionError(id + ": a settle of a running hub did not complete");
        }
        return out;
    }

    private AcquireOutcome answered(java.util.concurrent.CompletableFuture<AcquireOutcome> f) {
        AcquireOutcome out = f.getNow(null);
        if (out == null) {
            throw new AssertionError(id + ": an acquire of a running hub did not complete");
        }
        return out;
    }

    /** One step of the running process: its threads' work, in a random order. */
    void step(long now) {
        if (state != State.RUNNING) {
            return;
        }
        process.ledger.tellFences();
        List<Runnable> work = new ArrayList<>(List.of(this::followCopy, this::readInbox, this::answerQueued, () -> duties(now)));
        Collections.shuffle(work, sim.rnd);
        for (Runnable r : work) {
            if (state != State.RUNNING) {
                return;
            }
            r.run();
            if (process != null && !process.ledger.alive()) {
                crash(); // died in the middle of its work (see Simulation#fenceWritten)
                sim.scheduleRestart(this);
                return;
            }
        }
        PeerStatus status = process.replication.status();
        if (status != process.lastStatus) {
            sim.trace.log(id, "peer status %s -> %s", process.lastStatus, status);
            process.lastStatus = status;
        }
    }

    private void followCopy() {
        List<StoredBatch> copy = sim.net.copyOnServerOf(id);
        int until = copy.size();
        if (until > process.consumed && sim.rnd.nextInt(5) == 0) {
            until = process.consumed + sim.rnd.nextInt(until - process.consumed + 1); // the dispatcher is behind
        }
        while (process.consumed < until) {
            process.replication.onPeerBatch(copy.get(process.consumed++));
        }
    }

    private void readInbox() {
        List<Object> messages = List.copyOf(inbox);
        inbox.clear();
        for (Object m : messages) {
            if (m instanceof SimNetwork.Announcement a) {
                process.replication.onPeerAnnouncement(a.ready(), a.stopping());
            } else if (m instanceof SimNetwork.DemandMessage d) {
                process.replication.onPeerDemand(d.demand());
            }
        }
    }

    private void answerQueued() {
        List<QueuedAcquire> waiting = List.copyOf(queued);
        queued.clear();
        for (QueuedAcquire q : waiting) {
            AcquireOutcome out = answered(process.acquire.acquire(q.command()));
            sim.workload.lateAnswer(q.call(), q.attempt(), out, this);
        }
    }

    private void duties(long now) {
        Process p = process;
        if (now >= p.nextReap) {
            p.reaper.run();
            p.nextReap = next(p.nextReap, now);
        }
        if (now >= p.nextTick) {
            p.replication.tick();
            p.reloads.retryPending();
            p.nextTick = next(p.nextTick, now);
        }
        if (process == p && p.ledger.alive() && now >= p.nextAnnounce) {
            sim.net.send(id, peerId, new SimNetwork.Announcement(id, p.hubLedger.ready(), p.hubLedger.stoppedGranting()));
            p.nextAnnounce = next(p.nextAnnounce, now);
        }
    }

    /** Runs the replication tick now, out of turn (a tick on another thread, concurrent with the peer's). */
    void tickNow() {
        if (state == State.RUNNING) {
            process.replication.tick();
        }
    }

    private static long next(long previous, long now) {
        long next = previous + Simulation.PERIOD;
        return next <= now ? now + Simulation.PERIOD : next;
    }

    @Override
    public String toString() {
        String ledger = process == null ? "" : process.ledger.fenced() ? ", ledger fenced"
                : !process.ledger.mayWrite() ? ", ledger fenced (not found yet)" : "";
        return id + "(" + state + ledger + ")";
    }
}
