package io.quotahub.hub.replication;

/**
 * The peer as this hub sees it, for {@code GET /api/v1/state}.
 *
 * @param replicationLagMs time from the peer writing its last event to this hub applying it
 * @param lastSeenMs       time since the peer's last announcement (-1: never seen)
 * @param appliedSeq       how far this hub has folded the peer's ledger
 */
public record PeerView(String hubId, PeerStatus status, long replicationLagMs, long lastSeenMs, long appliedSeq) {
}
