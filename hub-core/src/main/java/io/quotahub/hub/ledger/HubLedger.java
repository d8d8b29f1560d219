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
    private volatile boolean pausing;
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
        while (true) {
            deciding.incrementAndGet(); // before the checks: stopGranting and exclusive then wait for this decision
            if (stopped) {
                deciding.decrementAndGet();
                return false;
            }
            if (!pausing) {
                return true;
            }
            deciding.decrementAndGet();
            while (pausing) { // a reload switches the engine: a few milliseconds
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }
    }

    /**
     * Runs {@code body} while no acquire is being decided: new decisions wait at the gate, and those
     * underway have their grants queued for the ledger first. So an event {@code body} appends
     * (a reload) stands in the ledger exactly between the grants decided before it and those after.
     */
    public synchronized <T> T exclusive(java.util.function.Supplier<T> body) {
        pausing = true;
        try {
            while (deciding.get() > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
            return body.get();
        } finally {
            pausing = false;
        }
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
