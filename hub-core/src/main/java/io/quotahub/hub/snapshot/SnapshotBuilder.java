package io.quotahub.hub.snapshot;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.EngineStateException;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.ledger.BatchSource;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.hub.replication.CausalMerge;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Clock;

/**
 * Builds the next snapshot exactly as a restart would rebuild the state: a scratch engine and fold
 * restored from the previous snapshot (or empty), then the own ledger's tail and the peer copy's
 * folded in causal order. It never reads the live engine, whose state may already hold grants
 * whose append is not acknowledged yet: a snapshot is by construction the fold of the two ledgers'
 * prefixes it names, however busy the hub is, and needs no lock on the hot path.
 */
public final class SnapshotBuilder {

    private final String hubId;
    private final java.util.function.Supplier<EngineConfig> config;
    private final Clock clock;

    public SnapshotBuilder(String hubId, EngineConfig config, Clock clock) {
        this(hubId, () -> config, clock);
    }

    /** @param config the configuration now: after a reload, snapshots are built under the new one */
    public SnapshotBuilder(String hubId, java.util.function.Supplier<EngineConfig> config, Clock clock) {
        this.hubId = hubId;
        this.config = config;
        this.clock = clock;
        this.builtUnder = config.get(); // a snapshot restored at start-up fits the configuration of then
    }

    /**
     * @param previous the newest snapshot (null: fold from the start)
     * @param ownTail  own ledger after {@code previous.ownSeq()}
     * @param peerTail peer copy after {@code previous.peerSeq()} (empty for a single hub)
     */
    public HubSnapshot build(HubSnapshot previous, BatchSource ownTail, BatchSource peerTail) throws IOException {
        EngineConfig now = config.get();
        QuotaEngine engine = new QuotaEngine(now, clock, EngineListener.NONE);
        LedgerFold fold = new LedgerFold(hubId, engine, lease -> { });
        long own = 0;
        long peer = 0;
        long events = 0;
        if (previous != null) {
            restore(previous, engine, fold);
            own = previous.ownSeq();
            peer = previous.peerSeq();
            events = previous.events();
        }
        long[] at = {own, peer, events};
        CausalMerge merge = new CausalMerge(peerTail, own, peer, b -> {
            fold.applyOwn(b);
            at[0] = b.seq();
            at[2] += b.events().size();
        }, b -> {
            fold.applyPeer(b);
            at[1] = b.seq();
            at[2] += b.events().size();
        });
        for (StoredBatch b = ownTail.next(); b != null; b = ownTail.next()) {
            merge.own(b);
        }
        merge.finishCausal(); // a peer batch that saw own batches not read yet waits for the next snapshot
        builtUnder = now;
        return new HubSnapshot(hubId, at[0], at[1], clock.millis(), at[2], engine.writeState(), foldState(fold));
    }

    /**
     * The configuration the last {@link #build} folded under (before any, the one of the start-up):
     * a snapshot starts from the previous one only while it is still the engine's.
     */
    private volatile EngineConfig builtUnder;

    /**
     * Can the next snapshot start from the newest? Not after a reload changed the pools: the next
     * one is then folded from the ledgers' start under the new pools, as a restart with the new
     * file folds them.
     */
    public boolean previousFits() {
        return builtUnder == config.get();
    }

    /** Restores a snapshot into a fresh engine and its fold. @throws IOException if it does not fit them */
    public static void restore(HubSnapshot s, QuotaEngine engine, LedgerFold fold) throws IOException {
        try {
            engine.readState(s.engineState());
        } catch (EngineStateException e) {
            throw new IOException(e.getMessage(), e);
        }
        restoreFold(s, fold);
    }

    /** Restores only the fold's part (a new fold over an engine already restored from {@code s}). */
    public static void restoreFold(HubSnapshot s, LedgerFold fold) throws IOException {
        fold.readState(new DataInputStream(new ByteArrayInputStream(s.foldState())));
    }

    static byte[] foldState(LedgerFold fold) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            fold.writeState(out);
        }
        return bytes.toByteArray();
    }
}
