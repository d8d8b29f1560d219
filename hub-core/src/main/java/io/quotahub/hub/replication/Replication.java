package io.quotahub.hub.replication;

import io.quotahub.engine.LimitRef;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.proto.Demand;
import io.quotahub.proto.HandOver;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.PoolDemand;
import io.quotahub.proto.Rejoined;
import io.quotahub.proto.Takeover;
import io.quotahub.proto.Transfer;
import io.quotahub.proto.TransferApplied;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The two-hub protocol of one hub (docs/architecture.md, "Budgets and the split", "Takeover and fence"): folds the peer's ledger as
 * it arrives, applies the peer's transfers exactly once, hands unused headroom to a busier peer,
 * fences and takes over a peer whose process died while its NATS server still answers, and
 * rejoins after being fenced itself. Transport-free: NATS (or a simulated network) comes through
 * {@link PeerLink}, so the simulation test runs exactly this code.
 *
 * <p>What a fence started is derived from the two ledgers, never from memory alone, so a hub that
 * restarts between writing a fence and its Takeover still answers it: a fence of the peer stands
 * until the peer writes after it, and is answered by this hub's Takeover naming it. When both hubs
 * fenced each other before either wrote its Takeover, neither could ever write one: the hub with
 * the lower id then resumes past the fence it got (the other cannot write until it folds that
 * hub's Takeover, after which the fence it wrote is spent) and takes the other over.
 *
 * <p>Threads: {@link #tick()} runs on the hub's housekeeping timer and calls the peer's server
 * (probe, fence: up to 750 ms each) outside this object's lock; the peer's batches,
 * announcements and demand arrive on NATS dispatcher threads; views and metrics read from HTTP
 * threads. Announcements of this hub are sent from a timer of their own, not from here.
 *
 * <p>Longer than 400 lines on purpose: one monitor guards all of the protocol's state (fence,
 * takeover, rejoin, transfers, rebalancing), and the simulation's invariants are checked against
 * this one class; splitting it would spread that lock over several.
 */
public final class Replication {

    private static final Logger LOG = LoggerFactory.getLogger(Replication.class);

    private final String hubId;
    private final String peerId;
    private final QuotaEngine engine;
    private final Ledger ledger;
    private final LedgerFold fold;
    private final PeerLink link;
    private final Clock clock;
    private final ReplicationSettings settings;
    private final Rebalancer rebalancer;
    private final DemandMeter demand;
    private final AtomicLong peerCursor = new AtomicLong();
    private final Set<String> transfersBeingApplied = new HashSet<>();
    private final String idPrefix;
    private long transferCounter;
    private long lastAnnouncementMillis;
    private long lastTickMillis;
    private boolean heldPeer;        // at the last tick the peer was fenced or declared dead by this hub
    private long lastUnreachableMillis; // the peer's server did not answer: silence before this is a split's
    private long lagMillis;
    private PeerStatus status = PeerStatus.SUSPECT;
    private long fencedPeerAt;       // fence seq this hub wrote into the peer's ledger and knows before its copy does
    private boolean takeoverInFlight;
    private boolean fenceInFlight;   // tick() is fencing the peer, outside the lock
    private long rejoinToMark;       // fence this hub resumed past without a Rejoined stored yet (0: none)
    private boolean rejoinMarkInFlight;
    private boolean declaredDead;
    private Map<String, Double> peerDemand = Map.of();
    private Set<String> poolNames; // the configured pools, once needed
    private List<PoolSpec> poolsSeen; // the engine's pools they were taken from
    private final AtomicLong takeovers = new AtomicLong();         // fenced takeovers this hub appended
    private final AtomicLong declaredTakeovers = new AtomicLong(); // declare-dead takeovers this hub appended
    private final AtomicLong handOvers = new AtomicLong();         // the peer's planned hand-overs folded while running
    private boolean stopping;        // this hub is handing over: no rebalancing
    private boolean handedOver;      // this hub's HandOver is queued: it applies no more transfers
    private boolean peerStopping;    // the peer's last announcement said it is stopping (a planned stop)

    public Replication(String hubId, String peerId, QuotaEngine engine, Ledger ledger, LedgerFold fold, PeerLink link,
                       Clock clock, ReplicationSettings settings, DemandCounter demandCounter) {
        this.demand = new DemandMeter(demandCounter);
        this.hubId = hubId;
        this.peerId = peerId;
        this.engine = engine;
        this.ledger = ledger;
        this.fold = fold;
        this.link = link;
        this.clock = clock;
        this.settings = settings;
        this.rebalancer = new Rebalancer(settings.floor(), settings.initialShare());
        this.idPrefix = hubId + "-t-" + Long.toString(clock.millis(), 36) + "-";
        // Silence counts from this hub's own start: a peer starting at the same time is not dead.
        this.lastAnnouncementMillis = clock.millis();
        this.lastTickMillis = lastAnnouncementMillis;
        ledger.onFence(this::onOwnFence);
    }

    /** The peer sequence folded so far: stamped on every batch this hub appends. */
    public long peerCursor() {
        return peerCursor.get();
    }

    /** Folds both ledgers as read at start-up, in causal order; then the hub may serve. */
    public synchronized void start(List<StoredBatch> own, List<StoredBatch> peer) {
        CausalMerge.merge(own, peer, fold::applyOwn, this::foldPeerAtStart);
        finishStart();
    }

    /** Start-up from a snapshot: the fold already holds the peer's ledger through {@code peerSeq}. */
    public synchronized void startPeerCursorAt(long peerSeq) {
        peerCursor.set(peerSeq);
    }

    /** Start-up: folds one batch of the peer's copy, in causal order (a streaming replay). */
    public synchronized void foldPeerAtStart(StoredBatch batch) {
        fold.applyPeer(batch);
        peerCursor.set(batch.seq());
    }

    /** Ends the start-up fold: applies the peer's transfers to this hub, rejoins after a takeover. */
    public synchronized void finishStart() {
        applyTransfersToMe();
        rejoinIfTakenOver();
    }

    /** One batch of the peer's ledger, in order, as the copy stream delivers it. */
    public synchronized void onPeerBatch(StoredBatch batch) {
        if (batch.seq() <= peerCursor.get()) {
            return;
        }
        fold.applyPeer(batch);
        peerCursor.set(batch.seq());
        if (batch.events().stream().anyMatch(e -> e.getEventCase() == LedgerEvent.EventCase.HAND_OVER)) {
            handOvers.incrementAndGet();
            LOG.info("peer {} stopped as planned and handed over its budget and open leases (ledger sequence {}):"
                    + " no fence, no takeover; it takes its share back by rebalancing when it returns", peerId, batch.seq());
        }
        long newest = batch.events().stream().mapToLong(LedgerEvent::getAtEpochMs).max().orElse(0);
        if (newest > 0) {
            lagMillis = Math.max(0, clock.millis() - newest);
        }
        applyTransfersToMe();
        rejoinIfTakenOver();
    }

    /** The peer announced itself (core NATS): it is alive and, if ready, serving. */
    public synchronized void onPeerAnnouncement(boolean ready) {
        onPeerAnnouncement(ready, false);
    }

    /**
     * The peer announced itself; {@code stopping}: it is handing its budget over (a planned stop),
     * so this hub gives it no more until it announces itself ready again.
     */
    public synchronized void onPeerAnnouncement(boolean ready, boolean stopping) {
        if (stopping && !peerStopping) {
            LOG.info("peer {} is stopping as planned: no more budget to it; it hands its budget over", peerId);
        }
        peerStopping = stopping;
        lastAnnouncementMillis = clock.millis();
        // A fenced peer is back once it writes after the fence (see fenceOfPeer): until then a
        // "ready" says only that it has not found the fence yet.
        if (declaredDead && ready) {
            LOG.info("peer {} is back and serving again", peerId);
            declaredDead = false;
        }
    }

    public synchronized void onPeerDemand(Demand d) {
        Map<String, Double> rates = new HashMap<>();
        for (PoolDemand p : d.getPoolsList()) {
            double rate = p.getGrantedPerSecond() + p.getRefusedPerSecond();
            // advisory and unauthenticated: only finite, non-negative rates of pools this hub serves count
            if (Double.isFinite(rate) && rate >= 0 && servesPool(p.getPool())) {
                rates.put(p.getPool(), rate);
            }
        }
        peerDemand = rates;
    }

    private boolean servesPool(String pool) {
        var pools = engine.config().pools(); // a reload replaces the list: the names follow it
        if (poolNames == null || poolsSeen != pools) {
            poolNames = pools.stream().map(PoolSpec::name).collect(Collectors.toUnmodifiableSet());
            poolsSeen = pools;
        }
        return poolNames.contains(pool);
    }

    private synchronized void onOwnFence(long fenceSeq) {
        fold.ownFenceFound(fenceSeq);
        LOG.warn("hub {} was fenced by {} (ledger sequence {}): it grants nothing until it has folded the takeover",
                hubId, peerId, fenceSeq);
        rejoinIfTakenOver();
    }

    /**
     * Runs the protocol's periodic duties; call every ~250 ms, from one thread. The calls to the
     * peer's server (probe, fence) run outside this object's lock, so announcements, the peer's
     * batches, views and metrics never wait for them.
     */
    public void tick() {
        long now = clock.millis();
        Long peerLast = null;
        boolean silent;
        synchronized (this) {
            if (now - lastTickMillis >= settings.suspectAfter().toMillis()) {
                // This hub was stopped itself (SIGSTOP, a long pause): it heard nothing meanwhile,
                // and the announcements waiting for it are not delivered yet. Silence counts from now.
                lastAnnouncementMillis = Math.max(lastAnnouncementMillis, now);
            }
            lastTickMillis = now;
            boolean holdsPeer = fenceOfPeer() > 0 || declaredDead || peerStoppedEmpty();
            if (heldPeer && !holdsPeer) {
                // The peer wrote past the fence: it is back. Silence while it was held was not watched.
                lastAnnouncementMillis = Math.max(lastAnnouncementMillis, now);
            }
            heldPeer = holdsPeer;
            silent = now - lastAnnouncementMillis >= settings.suspectAfter().toMillis()
                    // nothing to probe once the peer is ours, until it announces itself again
                    && fenceOfPeer() == 0 && !declaredDead;
        }
        if (silent) {
            try {
                peerLast = link.peerLedgerLastSeq(); // may block briefly: outside the lock
            } catch (PeerLink.PeerUnreachableException unreachable) {
                peerLast = null;
            }
        }
        long fenceAt;
        synchronized (this) {
            status = currentStatus(now, silent, peerLast);
            if (silent && peerLast == null) {
                lastUnreachableMillis = now;
            }
            // Silence counts only while the peer's server answers: right after a split heals the
            // peer's first announcement may still be on its way, and it is alive.
            long silentSince = Math.max(lastAnnouncementMillis, lastUnreachableMillis);
            // A fenced hub never fences: its peer is alive (it fenced it) and will take it over.
            fenceAt = status == PeerStatus.SUSPECT && peerLast != null && !ledger.fenced() && !fold.awaitingTakeover()
                    && now - silentSince >= settings.takeoverAfter().toMillis()
                    // the copy is behind: fold everything the peer granted first
                    && peerCursor.get() >= peerLast ? peerLast : -1;
            fenceInFlight = fenceAt >= 0;
        }
        long fenceSeq = fenceAt >= 0 ? fence(fenceAt) : -1; // a JetStream publish across the leafnode: outside the lock
        synchronized (this) {
            if (fenceAt >= 0) {
                fenceInFlight = false;
                notifyAll(); // an operator's declare-dead waits for the fence's outcome
                if (fenceSeq >= 0) {
                    tookOver(fenceSeq);
                }
            }
            if (takeoverDue()) {
                appendTakeover(fenceOfPeer(), false);
            }
            applyTransfersToMe();
            rejoinIfTakenOver();
            markRejoin();
        }
        Map<String, Double> own = demand.sample(now);
        publishDemand(own, now);
        synchronized (this) {
            if (status == PeerStatus.CONNECTED && !ledger.fenced() && !peerStopping) {
                rebalance(own);
            }
        }
    }

    private PeerStatus currentStatus(long now, boolean silent, Long peerLast) {
        if (declaredDead) {
            return PeerStatus.DEAD;
        }
        if (fenceOfPeer() > 0) {
            return PeerStatus.FENCED;
        }
        if (peerStoppedEmpty() && (silent || peerStopping)) {
            // never SUSPECT, so never fenced: this hub holds all the peer had. A restarted peer
            // announces itself without "stopping" and is CONNECTED again (rebalancing gives it budget).
            return PeerStatus.STOPPED;
        }
        if (!silent) {
            return PeerStatus.CONNECTED;
        }

        return peerLast != null ? PeerStatus.SUSPECT : PeerStatus.PARTITIONED;
    }

    /**
     * Fences the silent peer at the tail this hub has folded ({@code peerLastSeq}).
     *
     * @return the fence's sequence, or -1 when the peer appended meanwhile (it is alive) or its server did not answer
     */
    private long fence(long peerLastSeq) {
        try {
            return link.fencePeer(peerLastSeq);
        } catch (PeerLink.PeerUnreachableException e) {
            return -1;
        }
    }

    /** The fence at {@code fenceSeq} is stored in the peer's ledger: takes the peer's budget. */
    private void tookOver(long fenceSeq) {
        LOG.warn("peer {} is silent but its NATS server answers: fenced its ledger at sequence {}; taking over its budget",
                peerId, fenceSeq);
        fencedPeerAt = fenceSeq;
        status = PeerStatus.FENCED;
        appendTakeover(fenceSeq, false);
    }

    /**
     * The fence this hub holds on the peer (0: none): the newest it wrote, as it knows it or as its
     * copy of the peer's ledger shows it, until the peer writes after it (it rejoined).
     */
    private long fenceOfPeer() {
        long fence = Math.max(fencedPeerAt, fold.peerFenceSeq());
        return fence > 0 && !fold.peerWroteAfter(fence) ? fence : 0;
    }

    /**
     * The peer stopped as planned: its hand-over stands and it holds no budget, so there is nothing
     * to take over. Not when budget went back to it meanwhile (this hub stopped too and handed
     * everything to it): then a silent peer is fenced and taken over as usual.
     */
    private boolean peerStoppedEmpty() {
        return fold.peerHandOverStands() && engine.budgetsOf(peerId).values().stream().allMatch(u -> u == 0);
    }

    /** A fence of the peer stands that no Takeover of this hub answers yet, and none is being written. */
    private boolean takeoverDue() {
        long fence = fenceOfPeer();
        return fence > 0 && fold.peerTakenOverThroughFence() < fence && !takeoverInFlight && !ledger.fenced();
    }

    private void appendTakeover(long fenceSeq, boolean declared) {
        appendTakeover(fenceSeq, declared, "");
    }

    /** @param principal who declared the peer dead ("" for a takeover through a fence) */
    private void appendTakeover(long fenceSeq, boolean declared, String principal) {
        Map<LimitRef, Long> units = engine.budgetsOf(peerId);
        LedgerEvent event = LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(clock.millis())
                .setTakeover(Takeover.newBuilder().setPeerHub(peerId).setFenceSeq(fenceSeq).setDeclared(declared)
                        .addAllUnits(LedgerFold.toProto(units)).setPrincipal(principal))
                .build();
        takeoverInFlight = !declared;
        ledger.append(event).whenComplete((seq, error) -> {
            synchronized (this) {
                if (!declared) {
                    takeoverInFlight = false; // on failure the next tick retries; the fence keeps the peer out meanwhile
                }
                if (error == null) {
                    fold.apply(event);
                    (declared ? declaredTakeovers : takeovers).incrementAndGet();
                    LOG.warn("hub {} took over {}'s budget ({} limits){}", hubId, peerId, units.size(),
                            declared ? " by operator declaration" : "");
                }
            }
        });
    }

    /** Applies (once) every transfer the peer made to this hub: a TransferApplied in this hub's ledger. */
    private void applyTransfersToMe() {
        if (ledger.fenced() || handedOver) {
            return;
        }
        for (Transfer t : fold.unappliedTransfersToMe()) {
            if (!transfersBeingApplied.add(t.getTransferId())) {
                continue;
            }
            LedgerEvent event = LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(clock.millis())
                    .setTransferApplied(TransferApplied.newBuilder().setTransferId(t.getTransferId()).setFromHub(peerId)
                            .addAllUnits(t.getUnitsList()))
                    .build();
            ledger.append(event).whenComplete((seq, error) -> {
                synchronized (this) {
                    transfersBeingApplied.remove(t.getTransferId());
                    if (error == null) {
                        fold.apply(event);
                    }
                }
            });
        }
    }

    private void rejoinIfTakenOver() {
        long takenOverThrough = fold.takenOverThroughFence();
        if (takenOverThrough > ledger.fenceSeq()) {
            // The peer took this hub over through a fence its ledger has not found yet (nothing appended since).
            fold.ownFenceFound(takenOverThrough);
            ledger.learnFence(takenOverThrough);
        }
        if (!ledger.fenced()) {
            return;
        }
        // The ledger's own fence sequence, not the fold's: the ledger says "fenced" before its
        // listener tells the fold, and resuming in that window would grant from a budget the peer took.
        long fence = ledger.fenceSeq();
        if (fold.ownWroteAfter(fence)) {
            LOG.info("hub {} had rejoined after {}'s fence at sequence {} before it restarted", hubId, peerId, fence);
        } else if (fold.takenOverThroughFence() >= fence && !fold.awaitingTakeover()) {
            LOG.info("hub {} folded {}'s takeover: rejoining with the budget it left", hubId, peerId);
        } else if (winsMutualFence()) {
            LOG.warn("hub {} and {} fenced each other before either took the other over: {} (the lower id) resumes"
                    + " and takes {} over", hubId, peerId, hubId, peerId);
        } else {
            return;
        }
        ledger.resume();
        rejoinToMark = fence;
        markRejoin();
    }

    /**
     * Writes the Rejoined marker (retried every tick until stored): the peer's copy shows it that
     * its fence is spent even when this hub has nothing else to write.
     */
    private void markRejoin() {
        if (rejoinToMark == 0 || rejoinMarkInFlight || ledger.fenced()) {
            return;
        }
        long fence = rejoinToMark;
        LedgerEvent rejoined = LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(clock.millis())
                .setRejoined(Rejoined.newBuilder().setFenceSeq(fence)).build();
        rejoinMarkInFlight = true;
        ledger.append(rejoined).whenComplete((seq, error) -> {
            synchronized (this) {
                rejoinMarkInFlight = false;
                if (error == null) {
                    fold.apply(rejoined);
                    if (rejoinToMark == fence) {
                        rejoinToMark = 0;
                    }
                }
            }
        });
    }

    /**
     * True when this hub's fence on the peer stands unanswered while the peer's fence on this hub
     * does too, and this hub has the lower id. Safe to resume: the fold has reached this hub's fence
     * in the peer's copy, so it holds everything the peer wrote (no Takeover of this hub among it),
     * and the peer can write nothing more until it folds this hub's Takeover, written after resuming.
     */
    private boolean winsMutualFence() {
        long mine = fold.peerFenceSeq();
        return hubId.compareTo(peerId) < 0 && mine > 0 && !fold.peerWroteAfter(mine)
                && fold.peerTakenOverThroughFence() < mine && !takeoverInFlight && !fenceInFlight;
    }

    private void publishDemand(Map<String, Double> own, long now) {
        Demand.Builder d = Demand.newBuilder().setHubId(hubId).setSentAtEpochMs(now);
        own.forEach((pool, rate) -> d.addPools(PoolDemand.newBuilder().setPool(pool).setGrantedPerSecond(rate)));
        link.publishDemand(d.build());
    }

    private void rebalance(Map<String, Double> ownDemand) {
        if (stopping) {
            return;
        }
        Map<LimitRef, Long> wanted = rebalancer.toGive(engine.budgetTable(), hubId, ownDemand, peerDemand);
        if (wanted.isEmpty()) {
            return;
        }
        String id = idPrefix + (++transferCounter);
        Map<LimitRef, Long> given = engine.giveAway(id, peerId, wanted);
        if (given.isEmpty()) {
            return;
        }
        LedgerEvent event = LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(clock.millis())
                .setTransfer(Transfer.newBuilder().setTransferId(id).setToHub(peerId).addAllUnits(LedgerFold.toProto(given)))
                .build();
        ledger.append(event).whenComplete((seq, error) -> {
            if (error != null) {
                engine.revertTransfer(id); // never durable: the units come back
            }
        });
    }

    /**
     * Operator command: takes the peer's whole budget without a fence, for when the peer's machine
     * is unreachable and known to be dead.
     *
     * @return what was done and what it risks
     */
    public DeclareDeadResult declarePeerDead() {
        return declarePeerDead("");
    }

    /**
     * {@link #declarePeerDead()} by an operator, recorded in the Takeover.
     *
     * @param principal who declared it (see {@code io.quotahub.hub.service.Principals})
     */
    public synchronized DeclareDeadResult declarePeerDead(String principal) {
        while (fenceInFlight) { // decide on the fence's outcome, as if the tick had held the lock throughout
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new DeclareDeadResult(false, status, 0, "interrupted while a fence of peer " + peerId + " was under way");
            }
        }
        if (status == PeerStatus.CONNECTED) {
            return new DeclareDeadResult(false, status, 0,
                    "peer " + peerId + " is connected and serving: nothing to declare");
        }
        if (fenceOfPeer() > 0 || declaredDead) {
            return new DeclareDeadResult(false, status, 0, "peer " + peerId + " was already taken over");
        }
        if (peerStoppedEmpty()) {
            return new DeclareDeadResult(false, status, 0, "peer " + peerId
                    + " stopped as planned and handed over its budget: this hub holds it already");
        }
        long units = engine.budgetsOf(peerId).values().stream().mapToLong(Long::longValue).sum();
        declaredDead = true;
        status = PeerStatus.DEAD;
        appendTakeover(0, true, principal);
        return new DeclareDeadResult(true, status, units, "hub " + hubId + " took the " + units
                + " budget units " + peerId + " held, without a fence. If " + peerId
                + " is in fact alive behind a network split it can still grant from that budget until the split heals,"
                + " so a provider may see up to that many units above a limit meanwhile. Declare a peer dead only when"
                + " its machine is known to be down.");
    }

    /** The result of {@link #declarePeerDead()}. */
    public record DeclareDeadResult(boolean declared, PeerStatus status, long unitsTaken, String message) {
    }

    public synchronized PeerView view() {
        long now = clock.millis();
        return new PeerView(peerId, status, lagMillis, now - lastAnnouncementMillis,
                peerCursor.get());
    }

    public synchronized PeerStatus status() {
        return status;
    }

    /** Takeovers of the peer this hub appended since it started (metrics), by fence or by declaration. */
    public long takeovers(boolean declared) {
        return (declared ? declaredTakeovers : takeovers).get();
    }

    /** True when this hub may settle the peer's leases: it took the peer over. */
    public synchronized boolean ownsPeerLeases() {
        return fenceOfPeer() > 0 || declaredDead || peerStoppedEmpty();
    }

    /** The peer's planned hand-overs this hub folded since it started (metrics). */
    public long handOvers() {
        return handOvers.get();
    }

    /** A planned stop begins: this hub gives the peer no more budget (it is about to receive all of this hub's). */
    public synchronized void stopRebalancing() {
        stopping = true;
    }

    /**
     * The last sequence of the peer's ledger, read from the peer's server, or -1 when it does not
     * answer: a stopping hub folds up to it before handing over, so transfers the peer made to it
     * are applied and handed back rather than left in flight while it is down.
     */
    public long peerTail() {
        try {
            return link.peerLedgerLastSeq(); // may block briefly: outside the lock
        } catch (PeerLink.PeerUnreachableException e) {
            return -1;
        }
    }

    /** True when this hub folded the peer's ledger through {@code peerSeq} and applied every transfer to it. */
    public synchronized boolean caughtUpWith(long peerSeq) {
        return peerCursor.get() >= peerSeq && transfersBeingApplied.isEmpty() && fold.unappliedTransfersToMe().isEmpty();
    }

    /**
     * A planned stop (docs/architecture.md, "Planned stop: the hand-over"): appends a
     * {@code HandOver} of this hub's whole budget, and with it its open leases, to the peer. Call it
     * only once no acquire can be decided any more, so that every grant of this hub precedes the
     * hand-over in its ledger; and best after {@link #caughtUpWith} the {@link #peerTail}, so the
     * transfers to this hub are applied and handed over too rather than left in flight.
     *
     * @return completes with the hand-over's sequence once stored; fails when it could not be
     *         stored (the peer's normal takeover then applies), or at once when this hub is fenced
     */
    public synchronized CompletableFuture<Long> handOver() {
        stopping = true;
        if (ledger.fenced() || handedOver) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    ledger.fenced() ? "hub " + hubId + " is fenced: its peer takes it over" : "handed over already"));
        }
        if (peerStopping && !fold.peerHandOverStands()) {
            // Both stopping at once: two hand-overs neither had folded would fold in different
            // orders on the two hubs. Keep the budget; the first hub back takes the other over.
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "peer " + peerId + " is stopping too: no hand-over to it"));
        }
        handedOver = true;
        Map<LimitRef, Long> units = engine.budgetsOf(hubId);
        LedgerEvent event = LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(clock.millis())
                .setHandOver(HandOver.newBuilder().setToHub(peerId).addAllUnits(LedgerFold.toProto(units)))
                .build();
        return ledger.append(event).whenComplete((seq, error) -> {
            synchronized (this) {
                if (error == null) {
                    fold.apply(event);
                    LOG.info("hub {} handed its budget ({} limits) and open leases over to {} at ledger sequence {}",
                            hubId, units.size(), peerId, seq);
                } else {
                    LOG.warn("hub {} could not store its hand-over to {} ({}): {} will take it over after its silence",
                            hubId, peerId, error.toString(), peerId);
                }
            }
        });
    }
}
