package io.quotahub.hub.replication;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.quotahub.proto.Demand;
import io.quotahub.proto.Fence;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Subjects;

import java.io.IOException;
import java.time.Clock;

/**
 * The peer over NATS: the peer's ledger is managed through its JetStream domain across the
 * leafnode; the fence is a JetStream publish to the peer's fence subject, acked by the peer's
 * stream. With the peer's server down or cut off, calls fail fast (503 / timeout).
 */
public final class NatsPeerLink implements PeerLink {

    private static final int WRONG_LAST_SEQUENCE = 10071;

    private final Connection connection;
    private final String hubId;
    private final String peerId;
    private final JetStreamManagement peerJsm;
    private final JetStream peerJs;
    private final Clock clock;

    public NatsPeerLink(Connection connection, String hubId, String peerId, String peerDomain, Clock clock) throws IOException {
        this.connection = connection;
        this.hubId = hubId;
        this.peerId = peerId;
        this.clock = clock;
        JetStreamOptions options = JetStreamOptions.builder().domain(peerDomain).requestTimeout(ReplicationSettings.PEER_TIMEOUT).build();
        this.peerJsm = connection.jetStreamManagement(options);
        this.peerJs = connection.jetStream(JetStreamOptions.builder().requestTimeout(ReplicationSettings.PEER_TIMEOUT).build());
    }

    @Override
    public void publishDemand(Demand demand) {
        if (connection.getStatus() == Connection.Status.CONNECTED) {
            connection.publish(Subjects.DEMAND, demand.toByteArray());
        }
    }

    @Override
    public long peerLedgerLastSeq() {
        try {
            return peerJsm.getStreamInfo(Subjects.ledgerStream(peerId)).getStreamState().getLastSequence();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw new PeerUnreachableException("peer " + peerId + "'s JetStream does not answer: " + e.getMessage(), e);
        }
    }

    @Override
    public long fencePeer(long expectedLastSeq) {
        LedgerBatch fence = LedgerBatch.newBuilder().addEvents(LedgerEvent.newBuilder().setHubId(hubId)
                .setAtEpochMs(clock.millis())
                .setFence(Fence.newBuilder().setByHub(hubId).setFencedAfterSeq(expectedLastSeq))).build();
        try {
            PublishAck ack = peerJs.publish(Subjects.ledgerFence(peerId), fence.toByteArray(),
                    PublishOptions.builder().expectedLastSequence(expectedLastSeq).build());
            return ack.getSeqno();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return -1;
            }
            throw new PeerUnreachableException("fencing " + peerId + " failed: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new PeerUnreachableException("fencing " + peerId + " failed: " + e.getMessage(), e);
        }
    }
}
