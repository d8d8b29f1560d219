package io.quotahub.hub;

import io.micronaut.core.annotation.Nullable;
import io.nats.client.Connection;
import io.quotahub.hub.audit.AuditStore;
import io.quotahub.hub.ledger.JetStreamLedger;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.replication.PeerConnection;
import io.quotahub.hub.replication.Replication;
import io.quotahub.hub.service.NatsApi;
import io.quotahub.hub.snapshot.HubSnapshot;
import io.quotahub.hub.snapshot.Snapshots;

/**
 * What {@link HubAssembly} opened over the NATS connection, opened together and closed together.
 *
 * @param ownLedger    this hub's JetStream ledger
 * @param ledger       the same, with each admin action copied to the audit stream
 * @param audit        the hub's audit stream
 * @param api          the NATS request handlers, subscribed
 * @param replication  the two-hub protocol; null for a single hub
 * @param peer         the protocol's NATS side (peer copy, announcements, demand); null for a single hub
 * @param snapshots    the hub's snapshots; null when turned off
 * @param restoredFrom the snapshot this run started from; null after a full replay
 * @param snapshotConnection the snapshots' own NATS connection; null when they are turned off
 */
record RunningHub(JetStreamLedger ownLedger, Ledger ledger, AuditStore audit, NatsApi api,
                  @Nullable Replication replication, @Nullable PeerConnection peer,
                  @Nullable Snapshots snapshots, @Nullable HubSnapshot restoredFrom,
                  @Nullable Connection snapshotConnection) implements AutoCloseable {

    /**
     * Stops serving first, then the snapshots (and their connection), the peer's side and the
     * ledger (the serving connection is the runtime's).
     */
    @Override
    public void close() {
        api.close();
        if (snapshots != null) {
            snapshots.close();
        }
        HubAssembly.closeQuietly(snapshotConnection);
        if (peer != null) {
            peer.close();
        }
        ledger.close();
    }
}
