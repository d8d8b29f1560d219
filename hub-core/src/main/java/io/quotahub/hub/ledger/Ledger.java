package io.quotahub.hub.ledger;

import io.quotahub.proto.LedgerEvent;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A hub's own append-only ledger. This hub is its single writer; everything the hub knows is a
 * fold of it (DESIGN.md "State = fold").
 */
public interface Ledger extends AutoCloseable {

    /**
     * Appends one event. The future completes when the event is durable, in append order;
     * it fails with {@link LedgerFencedException} once the ledger is fenced, or with
     * {@link LedgerUnavailableException} when the store could not confirm the append.
     */
    CompletableFuture<Void> append(LedgerEvent event);

    /** Reads every stored event from the start, in order, and tells whether a fence was found. */
    ReplayResult replay(Consumer<LedgerEvent> sink);

    /** True once an append found the ledger fenced: this hub must grant nothing more. */
    boolean fenced();

    @Override
    void close();

    /** What a replay found. */
    record ReplayResult(long events, boolean fenced) {
    }
}
