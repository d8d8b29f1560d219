package io.quotahub.hub.replication;

/** What this hub knows of its peer. */
public enum PeerStatus {
    /** The peer announces itself: both hubs exchange state and budget. */
    CONNECTED,
    /** The peer went quiet but its NATS server answers: it may be dead or hung (takeover pending). */
    SUSPECT,
    /** Neither the peer nor its NATS server answers: a split or a dead machine; transfers stop. */
    PARTITIONED,
    /** This hub fenced the peer and took its budget; it rejoins with budget 0 when it returns. */
    FENCED,
    /**
     * The peer stopped as planned and handed its budget and open leases to this hub (no fence, no
     * takeover); it takes its share back by rebalancing when it returns.
     */
    STOPPED,
    /** An operator declared the peer dead: this hub took its budget without a fence. */
    DEAD
}
