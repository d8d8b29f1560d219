package io.quotahub.hub.ledger;

/** The ledger store did not confirm an append (NATS down, timeout): the event may not be durable. */
public final class LedgerUnavailableException extends RuntimeException {

    public LedgerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
