package io.quotahub.hub.ledger;

/** Batches of one ledger in stream order, read one at a time (never the whole ledger in memory). */
public interface BatchSource {

    /** The next batch without consuming it, or null when there is none. */
    StoredBatch peek();

    /** The next batch, consumed, or null when there is none. */
    StoredBatch next();

    /** A source over batches already in memory (tests, small ledgers). */
    static BatchSource of(java.util.List<StoredBatch> batches) {
        return new BatchSource() {
            private int i;

            @Override
            public StoredBatch peek() {
                return i < batches.size() ? batches.get(i) : null;
            }

            @Override
            public StoredBatch next() {
                return i < batches.size() ? batches.get(i++) : null;
            }
        };
    }
}
