package io.quotahub.hub.ledger;

/** The ledger was fenced by the peer hub: this hub's appends are refused for good. */
public final class LedgerFencedException extends RuntimeException {

    public LedgerFencedException(String message) {
        super(message);
    }
}
