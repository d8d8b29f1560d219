package io.quotahub.hub.replication;

import io.quotahub.hub.ledger.InMemoryLedger;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerFencedException;
import io.quotahub.hub.ledger.LedgerUnavailableException;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.proto.LedgerEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One hub process's handle on its ledger, behaving as {@code JetStreamLedger} does. The stored
 * ledger ({@link InMemoryLedger}, playing the stream on the hub's own NATS server) outlives the
 * process; this handle does not:
 * <ul>
 *   <li>every append expects the last sequence this handle knows, as JetStream's expected-last-sequence
 *       header does, so a fence is found as {@code JetStreamLedger} finds it: the first append after
 *       it fails ({@link LedgerUnavailableException}), the next one re-reads the stream, finds the
 *       fence, marks the ledger fenced, tells the listener at once, and fails with
 *       {@link LedgerFencedException}; a replay marks the ledger fenced if it holds any fence;
 *       {@link #resume()} lifts only what this handle knows;</li>
 *   <li>after the process died ({@link #kill()}) its appends store nothing and never complete — a
 *       process killed in the middle of a call;</li>
 *   <li>during a store outage appends fail at once and nothing is stored (a certain failure; a lost
 *       acknowledgement, which leaves the append pending, is not simulated) —
 *       except a Takeover's unless {@code outageFailsTakeovers}: a failed Takeover append opens the
 *       window between fence and Takeover that the protocol does not survive yet (see the tests).</li>
 * </ul>
 * With {@code slowNotice} the listener hears of a found fence only at the process's next step,
 * while {@link #fenced()} already says so: the window {@code JetStreamLedger} has between setting
 * {@code fenced} and calling the listener, made wide.
 */
final class SimLedger implements Ledger {

    private final InMemoryLedger store;
    private final BooleanSupplier outage;
    private final boolean outageFailsTakeovers;
    private final boolean slowNotice;
    private final List<Long> toTell = new ArrayList<>();
    private FenceListener listener = seq -> { };
    private boolean alive = true;
    private boolean fenced;
    private long knownFenceSeq;
    private long expectedLastSeq;
    private boolean needsResync;

    SimLedger(InMemoryLedger store, BooleanSupplier outage, boolean outageFailsTakeovers, boolean slowNotice) {
        this.store = store;
        this.outage = outage;
        this.outageFailsTakeovers = outageFailsTakeovers;
        this.slowNotice = slowNotice;
    }

    @Override
    public CompletableFuture<Long> append(LedgerEvent event) {
        if (!alive) {
            return new CompletableFuture<>(); // the process is gone: nothing is written, nobody is answered
        }
        if (fenced) {
            return CompletableFuture.failedFuture(new LedgerFencedException("sim: ledger is fenced by the peer hub"));
        }
        if (outage.getAsBoolean() && (outageFailsTakeovers || !event.hasTakeover())) {
            return CompletableFuture.failedFuture(new LedgerUnavailableException("sim: NATS connection is down", null));
        }
        if (needsResync) {
            resync();
            if (fenced) {
                return CompletableFuture.failedFuture(new LedgerFencedException("sim: ledger is fenced by the peer hub"));
            }
        }
        if (store.lastSeq() != expectedLastSeq) {
            needsResync = true; // the expected last sequence no longer matches: the peer appended a fence
            return CompletableFuture.failedFuture(new LedgerUnavailableException(
                    "sim: ledger append not confirmed: the ledger moved under this hub", null));
        }
        store.resume(); // the in-memory store's own fence flag: this handle checks the expected sequence itself
        CompletableFuture<Long> stored = store.append(event);
        expectedLastSeq = stored.join();
        return stored;
    }

    private void resync() {
        needsResync = false;
        expectedLastSeq = store.lastSeq();
        long fenceSeq = 0;
        for (StoredBatch b : store.batchesFrom(knownFenceSeq + 1)) {
            if (b.isFence()) {
                fenceSeq = b.seq();
            }
        }
        if (fenceSeq > knownFenceSeq) {
            knownFenceSeq = fenceSeq;
            fenced = true;
            if (slowNotice) {
                toTell.add(fenceSeq);
            } else {
                listener.fenced(fenceSeq);
            }
        }
    }

    @Override
    public ReplayResult replay(Consumer<StoredBatch> sink, LongSupplier peerCursor) {
        ReplayResult r = store.replay(sink, peerCursor);
        expectedLastSeq = r.lastSeq();
        knownFenceSeq = r.fenceSeq();
        fenced = r.fenceSeq() > 0;
        return r;
    }

    @Override
    public boolean fenced() {
        return fenced;
    }

    @Override
    public long fenceSeq() {
        return knownFenceSeq;
    }

    @Override
    public void resume() {
        if (alive) {
            fenced = false;
        }
    }

    @Override
    public void learnFence(long fenceSeq) {
        if (alive && fenceSeq > knownFenceSeq) {
            knownFenceSeq = fenceSeq;
            fenced = true;
            needsResync = true;
        }
    }

    /** Would an append now be stored: alive, not fenced, and nobody wrote to the ledger behind its back? */
    boolean mayWrite() {
        return alive && !fenced && store.lastSeq() == expectedLastSeq;
    }

    @Override
    public void onFence(FenceListener listener) {
        this.listener = listener;
    }

    /** Tells the listener of fences found since the last step ({@code slowNotice} only). */
    void tellFences() {
        if (!alive || toTell.isEmpty()) {
            return;
        }
        List<Long> told = List.copyOf(toTell);
        toTell.clear();
        told.forEach(listener::fenced);
    }

    /** The process died: from now on this handle does nothing. */
    void kill() {
        alive = false;
        toTell.clear();
    }

    boolean alive() {
        return alive;
    }

    @Override
    public void close() {
    }
}
