package io.quotahub.hub.snapshot;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.EngineStateException;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.ledger.BatchSource;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.hub.replication.CausalMerge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
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
 *
 * <p>The scratch engine is kept between snapshots (the "shadow"), so each snapshot folds only the
 * tails since the previous one instead of restoring megabytes and refolding: restore(write(s)) is
 * s, so both give the same bytes, and keeping it makes a snapshot's garbage the tails' messages and
 * the written chunks only. A shadow whose build failed half-way, or built under pools a reload
 * replaced, is dropped and rebuilt.
 */
public final class SnapshotBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotBuilder.class);

    /** The fold of both ledgers through {@code ownSeq} / {@code peerSeq}, under {@code config}. */
    private record Shadow(QuotaEngine engine, LedgerFold fold, EngineConfig config, long[] at) {
        long ownSeq() {
            return at[0];
        }

        long peerSeq() {
            return at[1];
        }
    }

    private final String hubId;
    private final java.util.function.Supplier<EngineConfig> config;
    private final Clock clock;
    private final EngineConfig startConfig;
    private HubSnapshot base; // loaded at start-up: the first shadow starts from it, then it is let go
    private Shadow shadow;

    public SnapshotBuilder(String hubId, EngineConfig config, Clock clock) {
        this(hubId, () -> config, clock);
    }

    /** @param config the configuration now: after a reload, snapshots are built under the new one */
    public SnapshotBuilder(String hubId, java.util.function.Supplier<EngineConfig> config, Clock clock) {
        this.hubId = hubId;
        this.config = config;
        this.clock = clock;
        this.startConfig = config.get(); // a snapshot restored at start-up fits the configuration of then
    }

    /**
     * The next build starts from {@code loaded} (the snapshot the hub restored at start-up), already
     * restored into {@code engine} and {@code fold} under the start-up configuration.
     */
    synchronized void startFrom(HubSnapshot loaded, QuotaEngine engine, LedgerFold fold) {
        base = null;
        shadow = new Shadow(engine, fold, startConfig, new long[] {loaded.ownSeq(), loaded.peerSeq(), loaded.events()});
    }

    /** Forgets the shadow (a build failed half-way): the next build starts from {@code loaded}, or from the start if null. */
    synchronized void reset(HubSnapshot loaded) {
        base = loaded;
        shadow = null;
    }

    /**
     * Makes sure a shadow exists for the configuration now and says where the next tails start.
     *
     * @return {own ledger sequence, peer copy sequence} the shadow covers
     */
    synchronized long[] prepare() {
        EngineConfig now = config.get();
        if (shadow != null && shadow.config() != now) {
            LOG.info("hub {}: the pools were reloaded since the last snapshot: the next is folded from the ledgers' start", hubId);
            shadow = null;
            base = null;
        }
        if (shadow == null) {
            QuotaEngine engine = new QuotaEngine(now, clock, EngineListener.NONE);
            LedgerFold fold = new LedgerFold(hubId, engine, lease -> { });
            long[] at = {0, 0, 0};
            HubSnapshot from = base;
            base = null;
            if (from != null && now == startConfig) {
                try {
                    restore(from, engine, fold);
                    at = new long[] {from.ownSeq(), from.peerSeq(), from.events()};
                } catch (IOException | RuntimeException e) {
                    LOG.warn("hub {}: the stored snapshot does not restore ({}): the next is folded from the ledgers' start",
                            hubId, e.getMessage());
                    engine = new QuotaEngine(now, clock, EngineListener.NONE);
                    fold = new LedgerFold(hubId, engine, lease -> { });
                }
            }
            shadow = new Shadow(engine, fold, now, at);
        }
        return new long[] {shadow.ownSeq(), shadow.peerSeq()};
    }

    /**
     * Folds the tails after {@link #prepare}'s sequences into the shadow and encodes the result.
     * A failure drops the shadow (it may be half-folded): call {@link #reset} before the next.
     *
     * @param ownTail  own ledger after the prepared own sequence
     * @param peerTail peer copy after the prepared peer sequence (empty for a single hub)
     */
    synchronized Encoded build(BatchSource ownTail, BatchSource peerTail) throws IOException {
        Shadow s = shadow;
        if (s == null) {
            throw new IllegalStateException("prepare() before build()");
        }
        shadow = null; // back only once this build completed
        long[] at = s.at();
        CausalMerge merge = new CausalMerge(peerTail, at[0], at[1], b -> {
            s.fold().applyOwn(b);
            at[0] = b.seq();
            at[2] += b.events().size();
        }, b -> {
            s.fold().applyPeer(b);
            at[1] = b.seq();
            at[2] += b.events().size();
        });
        for (StoredBatch b = ownTail.next(); b != null; b = ownTail.next()) {
            merge.own(b);
        }
        merge.finishCausal(); // a peer batch that saw own batches not read yet waits for the next snapshot
        SnapshotMark mark = new SnapshotMark(hubId, at[0], at[1], clock.millis(), at[2]);
        ChunkedBytes engineState = new ChunkedBytes();
        s.engine().writeState(engineState);
        ChunkedBytes foldState = new ChunkedBytes();
        try (DataOutputStream out = new DataOutputStream(foldState)) {
            s.fold().writeState(out);
        }
        Encoded encoded = new Encoded(mark, HubSnapshot.encode(mark, engineState, foldState));
        shadow = s;
        return encoded;
    }

    /** A snapshot as stored: where it stands and its bytes, in chunks. */
    record Encoded(SnapshotMark mark, ChunkedBytes bytes) {
        long size() {
            return bytes.length();
        }
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

}
