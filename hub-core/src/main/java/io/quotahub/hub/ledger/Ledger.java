package io.quotahub.hub.ledger;

import io.quotahub.proto.LedgerEvent;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A hub's own append-only ledger. This hub is its single writer (the peer writes only a fence);
 * everything the hub knows is a fold of it and of the peer's ledger (docs/architecture.md, "State is a fold of two ledgers").
 */
public interface Ledger extends AutoCloseable {

    /**
     * Appends one event. The future completes with the sequence of the stored message when the
     * event is durable; it fails only when the event is certainly NOT stored — with
     * {@link LedgerFencedException} while the ledger is fenced, or {@link LedgerUnavailableException}.
     * An append whose acknowledgement was lost stays pending until the ledger has found out
     * (possibly long after): callers that must answer sooner time out on their own and must keep
     * the event's effect, since it may well be durable.
     */
    CompletableFuture<Long> append(LedgerEvent event);

    /**
     * Reads every stored message from the start, in order, then starts accepting appends.
     * Each appended batch is stamped with {@code peerCursor}'s value at the time it is written.
     */
    ReplayResult replay(Consumer<StoredBatch> sink, LongSupplier peerCursor);

    /** True while a fence written by the peer blocks this hub's appends. */
    boolean fenced();

    /** Sequence of the newest fence this ledger has found (0: none): set before {@link #fenced()} turns true. */
    long fenceSeq();

    /**
     * Lifts the fence after the hub has folded the peer's takeover: appends are accepted again,
     * after the fence (the hub rejoins with the budgets the fold gave it).
     */
    void resume();

    /**
     * The fold saw the peer's Takeover of this hub through the fence at {@code fenceSeq}, which this
     * ledger has not found (an idle hub finds a fence only when it appends): the ledger counts as
     * fenced there, and re-reads its tail before it writes again.
     */
    void learnFence(long fenceSeq);

    /** Told once per fence the ledger discovers (its sequence), while serving or replaying. */
    void onFence(FenceListener listener);

    @Override
    void close();

    /** What a replay found. @param fenceSeq sequence of the last fence found, 0 if none */
    record ReplayResult(long batches, long events, long lastSeq, long fenceSeq) {
    }

    /** Hears about fences written by the peer. */
    interface FenceListener {
        void fenced(long fenceSeq);
    }
}
