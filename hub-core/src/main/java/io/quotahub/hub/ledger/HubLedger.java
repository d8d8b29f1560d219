package io.quotahub.hub.ledger;


/**
 * Holds the hub's ledger once it is open and replayed; until then {@link #current()} is null
 * and the services answer UNAVAILABLE.
 */
public final class HubLedger {

    private volatile Ledger ledger;

    public Ledger current() {
        return ledger;
    }

    public void open(Ledger replayed) {
        this.ledger = replayed;
    }

    public boolean ready() {
        Ledger l = ledger;
        return l != null && !l.fenced();
    }
}
