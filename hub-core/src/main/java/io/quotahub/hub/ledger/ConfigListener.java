package io.quotahub.hub.ledger;

import io.quotahub.proto.ConfigApplied;

/**
 * Told of the peer's reloads and rotations as this hub folds them while it serves (not during the
 * start-up replay, which only records them: see {@link LedgerFold#configVersion()}). Called inside
 * the fold, at the event's place in the causal order, so a switch it makes comes before the
 * peer's next events are folded.
 */
public interface ConfigListener {

    /** The peer accepted a reload: this hub re-reads its own files and follows it. */
    default void peerAccepted(String peerHub, ConfigApplied reload) {
    }

    /** The peer folded this hub's reload of {@code version} and switched too. */
    default void peerFollowed(long version, String digest) {
    }

    /** The peer rotated a key's secret: this hub re-reads its own source of it. */
    default void peerRotated(String pool, String keyId) {
    }
}
