package io.quotahub.hub.ledger;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
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
 * sequence 1, written by nobody else (DESIGN.md: nats-server 2.9.10 re-checks the stored
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
    private JetStreamSubscription live;

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

    /** Delivers every batch after {@code afterSeq}, in order, as it arrives (one thread). */
    public void follow(long afterSeq, Consumer<StoredBatch> sink) throws IOException {
        dispatcher = connection.createDispatcher();
        try {
            live = js.subscribe(peerSubjects, dispatcher, msg -> sink.accept(LedgerReader.toBatch(msg.metaData().streamSequence(), msg)),
                    false, PushSubscribeOptions.builder().stream(copy).ordered(true)
                            .configuration(ConsumerConfiguration.builder()
                                    .deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(afterSeq + 1).build())
                            .build());
        } catch (JetStreamApiException e) {
            throw new IOException("cannot follow " + copy + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (dispatcher != null) {
            connection.closeDispatcher(dispatcher);
        }
    }
}
