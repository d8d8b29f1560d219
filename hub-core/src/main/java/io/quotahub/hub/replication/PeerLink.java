package io.quotahub.hub.replication;

import io.quotahub.proto.Demand;

/**
 * What the replication protocol needs from the network, so the same protocol code runs over
 * NATS in the hub and over a simulated network in tests.
 */
public interface PeerLink {

    /** Publishes this hub's demand (advisory; may be lost). */
    void publishDemand(Demand demand);

    /**
     * The last sequence of the peer's own ledger, read from the peer's NATS server.
     *
     * @throws PeerUnreachableException when the peer's server does not answer
     */
    long peerLedgerLastSeq();

    /**
     * Appends a fence to the peer's ledger, expecting {@code expectedLastSeq} to be its last sequence.
     *
     * @return the fence's sequence, or -1 if the peer's ledger moved on (the peer is alive)
     * @throws PeerUnreachableException when the peer's server does not answer
     */
    long fencePeer(long expectedLastSeq);

    /** Thrown when the peer's NATS server does not answer. */
    final class PeerUnreachableException extends RuntimeException {
        public PeerUnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
