package io.quotahub.hub.snapshot;

/**
 * Where a snapshot stands, without its state: the own-ledger and peer-copy sequences it covers,
 * when it was taken and how many events it folds. What a hub keeps of the snapshot it wrote last.
 */
public record SnapshotMark(String hubId, long ownSeq, long peerSeq, long takenAtMillis, long events) {
}
