package io.quotahub.hub.replication;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.quotahub.hub.config.ConfigAgreement;
import io.nats.client.Dispatcher;
import io.quotahub.hub.ledger.PeerFeed;
import io.quotahub.proto.Demand;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.Subjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Wires {@link Replication} to NATS: the peer's ledger copy, the peer's announcements and demand.
 */
public final class PeerConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PeerConnection.class);

    private final Connection connection;
    private final Replication replication;
    private final PeerFeed feed;
    private final String peerId;
    private Dispatcher dispatcher;

    private final ConfigAgreement config;
    private final java.time.Clock clock;

    public PeerConnection(Connection connection, Replication replication, PeerFeed feed, String peerId) {
        this(connection, replication, feed, peerId, null, java.time.Clock.systemUTC());
    }

    /** @param config told of the pools the peer announces (null: not followed) */
    public PeerConnection(Connection connection, Replication replication, PeerFeed feed, String peerId, ConfigAgreement config,
                          java.time.Clock clock) {
        this.config = config;
        this.clock = clock;
        this.connection = connection;
        this.replication = replication;
        this.feed = feed;
        this.peerId = peerId;
    }

    /**
     * Both ledgers as stored at start-up are folded already (a streaming {@link CausalMerge} that
     * handed every peer batch to {@link Replication#foldPeerAtStart}): finishes the start (transfers to
     * this hub, rejoin after a takeover), then follows the peer's ledger and listens to the peer.
     */
    public void start() throws IOException {
        replication.finishStart();
        LOG.info("folded the peer {}'s ledger through sequence {}", peerId, replication.peerCursor());
        feed.follow(replication.peerCursor(), replication::onPeerBatch);
        dispatcher = connection.createDispatcher();
        dispatcher.subscribe(Subjects.HUBS, msg -> {
            try {
                HubAnnouncement a = HubAnnouncement.parseFrom(msg.getData());
                if (a.getHubId().equals(peerId)) {
                    replication.onPeerAnnouncement(a.getReady(), a.getStopping());
                    if (config != null) {
                        config.peerAnnounced(a.getConfigVersion(), a.getConfigDigest(), clock.millis());
                    }
                }
            } catch (InvalidProtocolBufferException | RuntimeException ignored) {
                // not ours to answer: announcements are advisory (and a handler must never throw)
            }
        });
        dispatcher.subscribe(Subjects.DEMAND, msg -> {
            try {
                Demand d = Demand.parseFrom(msg.getData());
                if (d.getHubId().equals(peerId)) {
                    replication.onPeerDemand(d);
                }
            } catch (InvalidProtocolBufferException | RuntimeException ignored) {
                // advisory (and a handler must never throw)
            }
        });
    }

    @Override
    public void close() {
        feed.close();
        if (dispatcher != null) {
            connection.closeDispatcher(dispatcher);
        }
    }
}
