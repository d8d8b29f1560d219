package io.quotahub.hub.ledger;

import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.proto.BudgetUnits;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Takeover;
import io.quotahub.proto.Transfer;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Applies ledger batches — this hub's own and the peer's — to the engine: the fold that rebuilds
 * a hub's state on restart and keeps it current while serving (docs/architecture.md, "State is a fold of two ledgers").
 * Events the engine has already seen change nothing. Besides the engine it remembers what the
 * replication protocol needs to know of the fold: the peer's transfers to this hub not yet
 * applied, and fences and takeovers.
 */
public final class LedgerFold {

    private final String hubId;
    private final QuotaEngine engine;
    private final Consumer<LeaseRecord> onGrant;
    private final Map<String, Transfer> unappliedTransfersToMe = new LinkedHashMap<>();
    /**
     * Ids of transfers this hub applied, newest {@value #APPLIED_TRANSFERS_KEPT}: a guard only (in
     * causal order a Transfer is folded before its TransferApplied), bounded so that neither memory
     * nor snapshots grow with the ledger's age (rebalancing writes a transfer every few seconds).
     */
    private final Map<String, Boolean> appliedTransfers = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > APPLIED_TRANSFERS_KEPT;
        }
    };
    static final int APPLIED_TRANSFERS_KEPT = 65_536;
    private long ownFenceSeq;           // newest fence the peer wrote into this hub's ledger
    private long ownPassedFence;        // newest own fence this hub wrote past (it rejoined after it)
    private long takenOverThroughFence; // newest own fence the peer's Takeover answered
    private long peerFenceSeq;          // newest fence this hub wrote into the peer's ledger
    private long peerLastWriteSeq;      // newest batch the peer wrote itself
    private long peerTakenOverThroughFence; // newest peer fence this hub's own Takeover answered
    private boolean peerHandOverStands; // the peer handed over (planned stop) and has not granted or moved budget since
    // reloads (docs/architecture.md, "Changing limits in flight")
    private long configVersion;         // newest ConfigApplied version folded or written, by either hub
    private String configDigest = "";   // its digest
    private long ownConfigWritten;      // newest version this hub wrote (accepted or followed)
    private long peerAccepted;          // newest version the peer accepted
    private String peerAcceptedDigest = "";
    private long peerFollowedMine;      // newest version of this hub's the peer followed
    private volatile ConfigListener configListener; // null during the start-up replay
    private final ShadowWatch shadows;

    /** @param onGrant told of every folded grant (e.g. to answer retried request ids) */
    public LedgerFold(String hubId, QuotaEngine engine, Consumer<LeaseRecord> onGrant) {
        this(hubId, engine, onGrant, new ShadowWatch());
    }

    /** @param shadows told of every folded grant that a pool or limit in shadow or canary mode would have refused */
    public LedgerFold(String hubId, QuotaEngine engine, Consumer<LeaseRecord> onGrant, ShadowWatch shadows) {
        this.hubId = hubId;
        this.engine = engine;
        this.onGrant = onGrant;
        this.shadows = shadows;
    }

    /** Folds a batch of this hub's own ledger (including a fence the peer wrote into it). */
    public synchronized void applyOwn(StoredBatch batch) {
        if (batch.isFence()) {
            ownFenceSeq = Math.max(ownFenceSeq, batch.seq());
            return;
        }
        if (batch.seq() > ownFenceSeq) {
            ownPassedFence = ownFenceSeq;
        }
        batch.events().forEach(this::apply);
    }

    /** Folds a batch of the peer's ledger, including a fence this hub wrote into it. */
    public synchronized void applyPeer(StoredBatch batch) {
        if (batch.isFence()) {
            peerFenceSeq = Math.max(peerFenceSeq, batch.seq());
            return;
        }
        peerLastWriteSeq = Math.max(peerLastWriteSeq, batch.seq());
        batch.events().forEach(this::apply);
    }

    /** Folds one event written by either hub. */
    public synchronized void apply(LedgerEvent event) {
        if (peerHandOverStands && !event.getHubId().equals(hubId) && resumesAfterHandOver(event)) {
            peerHandOverStands = false; // the peer is back: it grants or moves budget again
        }
        switch (event.getEventCase()) {
            case GRANT -> {
                LeaseRecord lease = LedgerEvents.lease(event);
                engine.replayGrant(lease);
                onGrant.accept(lease);
                if (event.getGrant().hasShadow()) { // a shadow grant folds like any grant; this only records the watch
                    shadows.record(event.getHubId(), lease.pool(), lease.keyId(), event.getGrant().getShadow(), event.getAtEpochMs());
                }
            }
            case SETTLE -> engine.settle(LedgerEvents.settlement(event));
            case EXPIRE -> {
                Settlement expired = LedgerEvents.settlement(event);
                long estimate = engine.openLease(expired.leaseId()).map(LeaseRecord::tokens).orElse(0L);
                engine.settle(new Settlement(expired.leaseId(), estimate, Outcome.EXPIRED, expired.retryAfter(), expired.settledAt()));
            }
            case TRANSFER -> {
                Transfer t = event.getTransfer();
                engine.applyTransfer(t.getTransferId(), event.getHubId(), t.getToHub(), units(t.getUnitsList()));
                if (t.getToHub().equals(hubId) && !appliedTransfers.containsKey(t.getTransferId())) {
                    unappliedTransfersToMe.put(t.getTransferId(), t);
                }
            }
            case TRANSFER_APPLIED -> {
                var a = event.getTransferApplied();
                engine.applyTransferApplied(a.getTransferId(), a.getFromHub(), event.getHubId(), units(a.getUnitsList()));
                if (event.getHubId().equals(hubId)) {
                    appliedTransfers.put(a.getTransferId(), Boolean.TRUE);
                    unappliedTransfersToMe.remove(a.getTransferId());
                }
            }
            case TAKEOVER -> {
                Takeover t = event.getTakeover();
                engine.applyTakeover(t.getPeerHub(), event.getHubId(), units(t.getUnitsList()));
                if (t.getPeerHub().equals(hubId)) {
                    takenOverThroughFence = Math.max(takenOverThroughFence, t.getFenceSeq());
                } else if (event.getHubId().equals(hubId) && !t.getDeclared()) {
                    peerTakenOverThroughFence = Math.max(peerTakenOverThroughFence, t.getFenceSeq());
                }
            }
            case REJOINED -> {
                if (event.getHubId().equals(hubId)) {
                    ownPassedFence = Math.max(ownPassedFence, event.getRejoined().getFenceSeq());
                }
            }
            case HAND_OVER -> {
                // A planned stop, folded like a takeover of the writer by to_hub: no fence, the writer wrote it itself.
                engine.applyTakeover(event.getHubId(), event.getHandOver().getToHub(), units(event.getHandOver().getUnitsList()));
                if (!event.getHubId().equals(hubId)) {
                    peerHandOverStands = true;
                }
            }
            case KEY_ENABLED -> engine.enableKey(event.getKeyEnabled().getPool(), event.getKeyEnabled().getKeyId());
            case KEY_RESET -> {
                engine.resetKey(event.getKeyReset().getPool(), event.getKeyReset().getKeyId());
                engine.clearObservedLimits(event.getKeyReset().getPool(), event.getKeyReset().getKeyId(),
                        event.getAtEpochMs(), event.getHubId());
            }
            case CONFIG_APPLIED -> configApplied(event);
            case KEY_ROTATED -> {
                ConfigListener l = configListener;
                if (l != null && !event.getHubId().equals(hubId)) {
                    l.peerRotated(event.getKeyRotated().getPool(), event.getKeyRotated().getKeyId());
                }
            }
            case EXTERNAL_USE -> engine.bookExternalUse(LedgerEvents.externalUse(event));
            case LIMIT_OBSERVED -> engine.observeLimit(LedgerEvents.limitObservation(event));
            default -> {
                // fences carry nothing the engine folds
            }
        }
    }

    /**
     * A reload folded: recorded (version, digest, who accepted and who followed); while serving,
     * the peer's is handed to the listener, which switches this hub at this place in the fold.
     */
    private void configApplied(LedgerEvent event) {
        var c = event.getConfigApplied();
        boolean own = event.getHubId().equals(hubId);
        if (c.getVersion() >= configVersion) {
            configVersion = c.getVersion();
            configDigest = c.getDigest();
        }
        if (own) {
            ownConfigWritten = Math.max(ownConfigWritten, c.getVersion());
            return;
        }
        ConfigListener l = configListener;
        if (c.getFollowsHub().isEmpty()) {
            if (c.getVersion() > peerAccepted) {
                peerAccepted = c.getVersion();
                peerAcceptedDigest = c.getDigest();
            }
            if (l != null) {
                l.peerAccepted(event.getHubId(), c);
            }
        } else if (c.getFollowsHub().equals(hubId)) {
            peerFollowedMine = Math.max(peerFollowedMine, c.getVersion());
            if (l != null) {
                l.peerFollowed(c.getVersion(), c.getDigest());
            }
        }
    }

    /** From now on (the start-up replay is done) the peer's reloads and rotations go to {@code listener}. */
    public void listen(ConfigListener listener) {
        this.configListener = listener;
    }

    /** This hub's own ConfigApplied is stored (a live hub does not fold its own events). */
    public synchronized void ownConfigWritten(long version, String digest) {
        ownConfigWritten = Math.max(ownConfigWritten, version);
        if (version >= configVersion) {
            configVersion = version;
            configDigest = digest;
        }
    }

    /** Newest reload version folded or written by either hub (0: none). */
    public synchronized long configVersion() {
        return configVersion;
    }

    /** Digest of the newest reload ("" if none). */
    public synchronized String configDigest() {
        return configDigest;
    }

    /** Newest version this hub wrote, accepted or followed. */
    public synchronized long ownConfigWritten() {
        return ownConfigWritten;
    }

    /** Newest version the peer accepted (0: none) and its digest. */
    public synchronized long peerAccepted() {
        return peerAccepted;
    }

    public synchronized String peerAcceptedDigest() {
        return peerAcceptedDigest;
    }

    /** Newest version of this hub's reloads the peer followed (0: none). */
    public synchronized long peerFollowedMine() {
        return peerFollowedMine;
    }

    /**
     * Events by which a hub that handed over is back: it grants or moves budget again. Settles and
     * expiries are not: a stopping hub may still write them after its hand-over.
     */
    private static boolean resumesAfterHandOver(LedgerEvent event) {
        return switch (event.getEventCase()) {
            case GRANT, TRANSFER, TRANSFER_APPLIED, TAKEOVER, REJOINED -> true;
            default -> false;
        };
    }

    /**
     * True while the peer's last hand-over stands: it stopped as planned, handed this hub its
     * budget and open leases, and has granted nothing and moved no budget since.
     */
    public synchronized boolean peerHandOverStands() {
        return peerHandOverStands;
    }

    /** The peer's transfers to this hub that this hub has not applied yet (it must, exactly once). */
    public synchronized List<Transfer> unappliedTransfersToMe() {
        return List.copyOf(unappliedTransfersToMe.values());
    }

    /**
     * True while this hub's ledger holds a fence it has not got past: no takeover of it folded and
     * nothing written after it. The hub must grant nothing until it has (it then rejoins with the
     * budget the takeover left it).
     */
    public synchronized boolean awaitingTakeover() {
        return ownFenceSeq > Math.max(takenOverThroughFence, ownPassedFence);
    }

    /** True when this hub wrote its ledger after the fence at {@code fenceSeq}: it rejoined past it before. */
    public synchronized boolean ownWroteAfter(long fenceSeq) {
        return ownPassedFence >= fenceSeq;
    }

    /** Sequence of the newest fence this hub wrote into the peer's ledger, as folded from the copy (0: none). */
    public synchronized long peerFenceSeq() {
        return peerFenceSeq;
    }

    /** True when the peer wrote its ledger after {@code fenceSeq}: it rejoined, the fence is spent. */
    public synchronized boolean peerWroteAfter(long fenceSeq) {
        return peerLastWriteSeq > fenceSeq;
    }

    /** Sequence of the newest peer fence that this hub's own Takeover answered (0: none). */
    public synchronized long peerTakenOverThroughFence() {
        return peerTakenOverThroughFence;
    }

    /** Sequence of the newest own fence whose takeover this hub has folded (0: none). */
    public synchronized long takenOverThroughFence() {
        return takenOverThroughFence;
    }

    public synchronized void ownFenceFound(long fenceSeq) {
        ownFenceSeq = Math.max(ownFenceSeq, fenceSeq);
    }

    public static Map<LimitRef, Long> units(List<BudgetUnits> units) {
        Map<LimitRef, Long> map = new LinkedHashMap<>();
        for (BudgetUnits u : units) {
            try {
                map.merge(LimitRef.parse(u.getLimit()), u.getUnits(), Long::sum);
            } catch (IllegalArgumentException unknown) {
                // written by a hub with other pools: the engine would ignore it anyway
            }
        }
        return map;
    }

    public static List<BudgetUnits> toProto(Map<LimitRef, Long> units) {
        return units.entrySet().stream()
                .map(e -> BudgetUnits.newBuilder().setLimit(e.getKey().toString()).setUnits(e.getValue()).build())
                .toList();
    }

    // ---- state (snapshots) -----------------------------------------------------------------------

    /** 2: fences and takeovers of the peer, rejoins; 3: the peer's hand-over; 4: reloads (config versions). Reads 3. */
    private static final int STATE_VERSION = 4;
    private static final int OLDEST_STATE = 3;

    /** What the fold knows besides the engine: fences, takeovers, transfers to this hub (applied or not). */
    public synchronized void writeState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeUTF(hubId);
        out.writeLong(ownFenceSeq);
        out.writeLong(takenOverThroughFence);
        out.writeLong(ownPassedFence);
        out.writeLong(peerFenceSeq);
        out.writeLong(peerLastWriteSeq);
        out.writeLong(peerTakenOverThroughFence);
        out.writeBoolean(peerHandOverStands);
        out.writeInt(unappliedTransfersToMe.size());
        for (Transfer t : unappliedTransfersToMe.values()) {
            byte[] b = t.toByteArray();
            out.writeInt(b.length);
            out.write(b);
        }
        out.writeInt(appliedTransfers.size());
        for (String id : appliedTransfers.keySet()) {
            out.writeUTF(id);
        }
        out.writeLong(configVersion);
        out.writeUTF(configDigest);
        out.writeLong(ownConfigWritten);
        out.writeLong(peerAccepted);
        out.writeUTF(peerAcceptedDigest);
        out.writeLong(peerFollowedMine);
    }

    /** Replaces this fold's own state by a written one (the engine is restored separately). */
    public synchronized void readState(DataInput in) throws IOException {
        int version = in.readInt();
        if (version < OLDEST_STATE || version > STATE_VERSION) {
            throw new IOException("fold state version " + version + ", this hub reads " + OLDEST_STATE + " to " + STATE_VERSION);
        }
        String writer = in.readUTF();
        if (!writer.equals(hubId)) {
            throw new IOException("fold state of hub " + writer + ", this is " + hubId);
        }
        long fence = in.readLong();
        long takenOver = in.readLong();
        long passed = in.readLong();
        long peerFence = in.readLong();
        long peerLastWrite = in.readLong();
        long peerTakenOver = in.readLong();
        boolean handOverStands = in.readBoolean();
        Map<String, Transfer> unapplied = new LinkedHashMap<>();
        int n = in.readInt();
        if (n < 0 || n > 1 << 24) {
            throw new IOException("fold state: " + n + " unapplied transfers");
        }
        for (int i = 0; i < n; i++) {
            int len = in.readInt();
            if (len < 0 || len > 1 << 20) {
                throw new IOException("fold state: transfer of " + len + " bytes");
            }
            byte[] b = new byte[len];
            in.readFully(b);
            Transfer t = Transfer.parseFrom(b);
            unapplied.put(t.getTransferId(), t);
        }
        int m = in.readInt();
        if (m < 0 || m > 1 << 24) {
            throw new IOException("fold state: " + m + " applied transfers");
        }
        Map<String, Boolean> applied = new LinkedHashMap<>();
        for (int i = 0; i < m; i++) {
            applied.put(in.readUTF(), Boolean.TRUE);
        }
        boolean reloads = version >= 4;
        long cVersion = reloads ? in.readLong() : 0;
        String cDigest = reloads ? in.readUTF() : "";
        long cOwn = reloads ? in.readLong() : 0;
        long cPeer = reloads ? in.readLong() : 0;
        String cPeerDigest = reloads ? in.readUTF() : "";
        long cFollowed = reloads ? in.readLong() : 0;
        configVersion = cVersion;
        configDigest = cDigest;
        ownConfigWritten = cOwn;
        peerAccepted = cPeer;
        peerAcceptedDigest = cPeerDigest;
        peerFollowedMine = cFollowed;
        ownFenceSeq = fence;
        takenOverThroughFence = takenOver;
        ownPassedFence = passed;
        peerFenceSeq = peerFence;
        peerLastWriteSeq = peerLastWrite;
        peerTakenOverThroughFence = peerTakenOver;
        peerHandOverStands = handOverStands;
        unappliedTransfersToMe.clear();
        unappliedTransfersToMe.putAll(unapplied);
        appliedTransfers.clear();
        appliedTransfers.putAll(applied);
    }
}
