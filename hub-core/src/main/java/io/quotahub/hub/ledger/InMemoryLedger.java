package io.quotahub.hub.ledger;

import io.quotahub.proto.LedgerEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** A ledger in memory, for tests and simulations: appends are durable at once. */
public final class InMemoryLedger implements Ledger {

    private final List<LedgerEvent> events = new ArrayList<>();
    private boolean fenced;

    @Override
    public synchronized CompletableFuture<Void> append(LedgerEvent event) {
        if (fenced) {
            return CompletableFuture.failedFuture(new LedgerFencedException("ledger is fenced"));
        }
        events.add(event);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized ReplayResult replay(Consumer<LedgerEvent> sink) {
        events.forEach(sink);
        return new ReplayResult(events.size(), fenced);
    }

    /** Fences the ledger, as the peer hub would. */
    public synchronized void fence() {
        fenced = true;
    }

    @Override
    public synchronized boolean fenced() {
        return fenced;
    }

    public synchronized List<LedgerEvent> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
    }
}
