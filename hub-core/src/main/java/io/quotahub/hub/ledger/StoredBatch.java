package io.quotahub.hub.ledger;

import io.quotahub.proto.LedgerEvent;

import java.util.List;

/**
 * One stored ledger message: its stream sequence, the peer sequence its writer had applied when
 * writing it (the causal link between the two ledgers), and its events.
 */
public record StoredBatch(long seq, long peerSeq, List<LedgerEvent> events) {

    public StoredBatch {
        events = List.copyOf(events);
    }

    /** True for the fence the peer wrote into this ledger. */
    public boolean isFence() {
        return events.size() == 1 && events.get(0).hasFence();
    }
}
