package io.quotahub.hub.ledger;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.External;
import io.nats.client.api.Source;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.quotahub.proto.Subjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * This hub's 1:1 copy of the peer's ledger: a stream {@code QH_PEER_<peer>} in the local JetStream
 * domain that sources {@code QH_LEDGER_<peer>} from the peer's domain across the leafnode, from
 * sequence 1, written by nobody else (docs/architecture.md, "Facts of nats-server 2.9.10": it re-checks the stored
 * expected-sequence headers in a sourcing stream, so only a 1:1 copy keeps flowing). During a
 * split the copy simply stops and catches up after it; a copy keeps the peer's sequence numbers.
 */
public final class PeerFeed implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PeerFeed.class);

    private final Connection connection;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final String copy;
    private final String peerSubjects;
    private Dispatcher dispatcher;
    private final ConnectionListener onReconnect = this::onConnectionEvent;
    private JetStreamSubscription live;
    private Consumer<StoredBatch> sink;
    /** Stream sequence of the last batch passed to the sink (written on the dispatcher's thread). */
    private volatile long delivered;
    private volatile boolean closed;

    public PeerFeed(Connection connection, String peerId, String peerDomain) throws IOException {
        this.connection = connection;
        this.js = connection.jetStream();
        this.jsm = connection.jetStreamManagement();
        this.copy = Subjects.peerCopyStream(peerId);
        this.peerSubjects = Subjects.ledgerSubjects(peerId);
        try {
            jsm.getStreamInfo(copy);
        } catch (JetStreamApiException notFound) {
            try {
                jsm.addStream(StreamConfiguration.builder()
                        .name(copy)
                        .storageType(StorageType.File)
                        .sources(Source.builder().sourceName(Subjects.ledgerStream(peerId)).startSeq(1)
                                .external(External.builder().api("$JS." + peerDomain + ".API").build())
                                .build())
                        .build());
                LOG.info("created {}: a copy of {} from JetStream domain {}", copy, Subjects.ledgerStream(peerId), peerDomain);
            } catch (JetStreamApiException e) {
                throw new IOException("cannot create peer copy " + copy + ": " + e.getMessage(), e);
            }
        }
    }

    /** Every batch the copy holds now. */
    public List<StoredBatch> readAll() throws IOException {
        return LedgerReader.readAll(js, copy, peerSubjects, lastSeq());
    }

    /** Reads, one batch at a time, what the copy holds now after {@code afterSeq}; close it after. */
    public LedgerCursor open(long afterSeq) throws IOException {
        return new LedgerCursor(js, copy, peerSubjects, afterSeq, lastSeq());
    }

    private long lastSeq() throws IOException {
        try {
            return jsm.getStreamInfo(copy).getStreamState().getLastSequence();
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read " + copy + ": " + e.getMessage(), e);
        }
    }

    /**
     * Delivers every batch after {@code afterSeq}, in order, as it arrives (one thread). Survives a
     * restart of the local nats-server: the ordered push consumer is an ephemeral one that dies with
     * the server, and jnats notices only when its heartbeat alarm fires (about 30 s), so on
     * reconnect the feed subscribes again after the last batch it delivered.
     */
    public void follow(long afterSeq, Consumer<StoredBatch> sink) throws IOException {
        delivered = afterSeq;
        this.sink = sink;
        dispatcher = connection.createDispatcher();
        subscribe();
        connection.addConnectionListener(onReconnect);
    }

    private synchronized void subscribe() throws IOException {
        if (closed) {
            return;
        }
        if (live != null) {
            try {
                dispatcher.unsubscribe(live);
            } catch (RuntimeException gone) {
                // the old consumer died with the server
            }
        }
        try {
            live = js.subscribe(peerSubjects, dispatcher, this::deliver, false,
                    PushSubscribeOptions.builder().stream(copy).ordered(true)
                            .configuration(ConsumerConfiguration.builder()
                                    .deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(delivered + 1).build())
                            .build());
        } catch (JetStreamApiException e) {
            throw new IOException("cannot follow " + copy + ": " + e.getMessage(), e);
        }
    }

    /** On the dispatcher's thread; a batch the old and the new subscription both bring is passed once. */
    private void deliver(Message msg) {
        long seq = msg.metaData().streamSequence();
        if (seq <= delivered) {
            return;
        }
        sink.accept(LedgerReader.toBatch(seq, msg));
        delivered = seq;
    }

    private void onConnectionEvent(Connection conn, ConnectionListener.Events event) {
        if (event == ConnectionListener.Events.RECONNECTED) {
            // not on jnats' listener thread: subscribing is a request that needs the connection's threads
            Thread t = new Thread(this::resubscribe, "qh-peer-feed-resubscribe");
            t.setDaemon(true);
            t.start();
        }
    }

    /** JetStream may still be recovering its streams just after the server came back: retry. */
    private void resubscribe() {
        for (int attempt = 1; !closed && connection.getStatus() == Connection.Status.CONNECTED; attempt++) {
            try {
                subscribe();
                LOG.info("following {} again after a reconnect, from sequence {}", copy, delivered + 1);
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot follow {} yet after a reconnect (attempt {}): {}", copy, attempt, e.getMessage());
                try {
                    Thread.sleep(250);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        connection.removeConnectionListener(onReconnect);
        if (dispatcher != null) {
            connection.closeDispatcher(dispatcher);
        }
    }
}
