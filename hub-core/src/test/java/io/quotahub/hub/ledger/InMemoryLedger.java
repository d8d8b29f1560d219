package io.quotahub.hub.ledger;

import io.quotahub.proto.Fence;
import io.quotahub.proto.LedgerEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A ledger in memory, for tests and the replication simulation: each append is its own batch and
 * durable at once. A fence behaves as on JetStream: appends fail until {@link #resume()}.
 */
public final class InMemoryLedger implements Ledger {

    private final List<StoredBatch> batches = new ArrayList<>();
    private LongSupplier peerCursor = () -> 0;
    private boolean fenced;
    private FenceListener fenceListener = seq -> { };

    @Override
    public synchronized CompletableFuture<Long> append(LedgerEvent event) {
        if (fenced) {
            return CompletableFuture.failedFuture(new LedgerFencedException("ledger is fenced"));
        }
        batches.add(new StoredBatch(batches.size() + 1, peerCursor.getAsLong(), List.of(event)));
        return CompletableFuture.completedFuture((long) batches.size());
    }

    @Override
    public synchronized ReplayResult replay(Consumer<StoredBatch> sink, LongSupplier cursor) {
        this.peerCursor = cursor;
        long events = 0;
        long fenceSeq = 0;
        for (StoredBatch b : batches) {
            sink.accept(b);
            events += b.events().size();
            if (b.isFence()) {
                fenceSeq = b.seq();
            }
        }
        return new ReplayResult(batches.size(), events, batches.size(), fenceSeq);
    }

    /**
     * Fences the ledger, as the peer hub would: succeeds only if nothing was appended after
     * {@code expectedLastSeq} (the tail the peer read).
     *
     * @return the fence's sequence, or -1 if the ledger moved on
     */
    public long fence(String byHub, long expectedLastSeq) {
        FenceListener listener;
        long seq;
        synchronized (this) {
            if (batches.size() != expectedLastSeq) {
                return -1;
            }
            LedgerEvent fence = LedgerEvent.newBuilder().setHubId(byHub)
                    .setFence(Fence.newBuilder().setByHub(byHub).setFencedAfterSeq(expectedLastSeq)).build();
            batches.add(new StoredBatch(batches.size() + 1, 0, List.of(fence)));
            fenced = true;
            seq = batches.size();
            listener = fenceListener;
        }
        listener.fenced(seq);
        return seq;
    }

    @Override
    public synchronized boolean fenced() {
        return fenced;
    }

    @Override
    public synchronized long fenceSeq() {
        return batches.stream().filter(StoredBatch::isFence).mapToLong(StoredBatch::seq).max().orElse(0);
    }

    @Override
    public synchronized void resume() {
        fenced = false;
    }

    @Override
    public synchronized void learnFence(long fenceSeq) {
        if (fenceSeq > 0 && fenceSeq <= batches.size() && batches.get((int) fenceSeq - 1).isFence()) {
            fenced = true;
        }
    }

    @Override
    public synchronized void onFence(FenceListener listener) {
        this.fenceListener = listener;
    }

    /** Every stored batch from {@code fromSeq} on (the peer's view of this ledger). */
    public synchronized List<StoredBatch> batchesFrom(long fromSeq) {
        return fromSeq > batches.size() ? List.of() : List.copyOf(batches.subList((int) Math.max(0, fromSeq - 1), batches.size()));
    }

    public synchronized long lastSeq() {
        return batches.size();
    }

    /** All events, in order (for tests). */
    public synchronized List<LedgerEvent> events() {
        return batches.stream().flatMap(b -> b.events().stream()).toList();
    }

    @Override
    public void close() {
    }
}
