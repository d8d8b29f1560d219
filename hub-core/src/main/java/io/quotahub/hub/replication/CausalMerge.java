package io.quotahub.hub.replication;

import io.quotahub.hub.ledger.StoredBatch;

import java.util.List;
import java.util.function.Consumer;

/**
 * Folds two ledgers in an order that respects what each writer had seen: a batch is applied only
 * after the other ledger's batches up to its {@code peerSeq}. Batches neither writer had seen of
 * the other commute (budget changes are sums), so any such order gives the same state — the
 * state the hubs had while they ran.
 */
public final class CausalMerge {

    private CausalMerge() {
    }

    public static void merge(List<StoredBatch> own, List<StoredBatch> peer,
                             Consumer<StoredBatch> applyOwn, Consumer<StoredBatch> applyPeer) {
        int i = 0;
        int j = 0;
        long ownApplied = 0;
        long peerApplied = 0;
        while (i < own.size() || j < peer.size()) {
            boolean ownReady = i < own.size() && (own.get(i).peerSeq() <= peerApplied || j >= peer.size());
            boolean peerReady = j < peer.size() && (peer.get(j).peerSeq() <= ownApplied || i >= own.size());
            if (ownReady || !peerReady && i < own.size()) {
                StoredBatch b = own.get(i++);
                applyOwn.accept(b);
                ownApplied = b.seq();
            } else {
                StoredBatch b = peer.get(j++);
                applyPeer.accept(b);
                peerApplied = b.seq();
            }
        }
    }
}
