package io.quotahub.hub.replication;

import io.quotahub.hub.ledger.BatchSource;
import io.quotahub.hub.ledger.StoredBatch;

import java.util.List;
import java.util.function.Consumer;

/**
 * Folds two ledgers in an order that respects what each writer had seen: a batch is applied only
 * after the other ledger's batches up to its {@code peerSeq}. Batches neither writer had seen of
 * the other commute (budget changes are sums), so any such order gives the same state — the
 * state the hubs had while they ran.
 *
 * <p>Streaming: the own ledger is pushed batch by batch ({@link #own}) while the peer's is pulled
 * from a {@link BatchSource} only as far as needed, so neither ledger is ever held whole in memory.
 * When neither next batch is ready (impossible in a causal history; a damaged one) the own batch
 * goes first.
 */
public final class CausalMerge {

    private final BatchSource peer;
    private final Consumer<StoredBatch> applyOwn;
    private final Consumer<StoredBatch> applyPeer;
    private long ownApplied;
    private long peerApplied;

    /**
     * @param ownApplied  own sequence already folded (0, or the sequence a snapshot covers)
     * @param peerApplied peer sequence already folded
     */
    public CausalMerge(BatchSource peer, long ownApplied, long peerApplied,
                       Consumer<StoredBatch> applyOwn, Consumer<StoredBatch> applyPeer) {
        this.peer = peer;
        this.ownApplied = ownApplied;
        this.peerApplied = peerApplied;
        this.applyOwn = applyOwn;
        this.applyPeer = applyPeer;
    }

    /** The next batch of the own ledger: folds it, after the peer batches it (causally) follows. */
    public void own(StoredBatch batch) {
        while (batch.peerSeq() > peerApplied) {
            StoredBatch p = peer.peek();
            if (p == null || p.peerSeq() > ownApplied) {
                break; // the peer has nothing more, or nothing ready: the own batch goes first
            }
            applyPeer(peer.next());
        }
        applyOwn.accept(batch);
        ownApplied = batch.seq();
    }

    /** The own ledger is exhausted: folds the rest of the peer's. */
    public void finish() {
        for (StoredBatch p = peer.next(); p != null; p = peer.next()) {
            applyPeer(p);
        }
    }

    /**
     * The own ledger (as read) is exhausted: folds only the peer batches whose writer had not seen
     * own batches beyond it; the rest waits (a snapshot must stay a causal cut of both ledgers).
     */
    public void finishCausal() {
        for (StoredBatch p = peer.peek(); p != null && p.peerSeq() <= ownApplied; p = peer.peek()) {
            applyPeer(peer.next());
        }
    }

    private void applyPeer(StoredBatch b) {
        applyPeer.accept(b);
        peerApplied = b.seq();
    }

    /** Folds two ledgers held in memory. */
    public static void merge(List<StoredBatch> own, List<StoredBatch> peer,
                             Consumer<StoredBatch> applyOwn, Consumer<StoredBatch> applyPeer) {
        CausalMerge merge = new CausalMerge(BatchSource.of(peer), 0, 0, applyOwn, applyPeer);
        own.forEach(merge::own);
        merge.finish();
    }
}
