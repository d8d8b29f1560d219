package io.quotahub.hub.ledger;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds the hub's ledger once it is open and replayed; until then {@link #current()} is null
 * and the services answer UNAVAILABLE. Also the gate a planned stop closes: once
 * {@link #stopGranting()} is called no acquire is decided any more, and once
 * {@link #decisionsUnderway()} is 0 every grant ever decided has its append queued, so an event
 * appended after it (the hand-over) follows every grant in the ledger.
 */
public final class HubLedger {

    private volatile Ledger ledger;
    private volatile boolean stopped;
    private final AtomicInteger deciding = new AtomicInteger();

    public Ledger current() {
        return ledger;
    }

    public void open(Ledger replayed) {
        this.ledger = replayed;
    }

    public boolean ready() {
        Ledger l = ledger;
        return l != null && !l.fenced() && !stopped;
    }

    /**
     * Enters the gate before an acquire is decided: false once the hub stopped granting. A true
     * must be followed by {@link #exitDecision()} once the grant's append is queued (or no grant was made).
     */
    public boolean enterDecision() {
        deciding.incrementAndGet(); // before the check: stopGranting then waits for this decision
        if (stopped) {
            deciding.decrementAndGet();
            return false;
        }
        return true;
    }

    public void exitDecision() {
        deciding.decrementAndGet();
    }

    /** A planned stop: no acquire is decided from now on. */
    public void stopGranting() {
        stopped = true;
    }

    public boolean stoppedGranting() {
        return stopped;
    }

    /** Acquires past the gate whose grant is not yet queued for the ledger. */
    public int decisionsUnderway() {
        return deciding.get();
    }
}
