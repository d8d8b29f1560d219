package io.quotahub.hub.ledger;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.quotahub.proto.LedgerBatch;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads ledger streams — a hub's own or its copy of the peer's — as stored batches. */
public final class LedgerReader {

    private LedgerReader() {
    }

    /**
     * Reads messages 1..{@code last} of a ledger stream (own or a peer copy) with an ordered
     * consumer. Fence messages come as batches holding one Fence event.
     */
    public static List<StoredBatch> readAll(JetStream js, String stream, String subjects, long last) throws IOException, JetStreamApiException {
        List<StoredBatch> batches = new ArrayList<>();
        if (last <= 0) {
            return batches;
        }
        JetStreamSubscription sub = js.subscribe(subjects, PushSubscribeOptions.builder().stream(stream).ordered(true).build());
        try {
            long seq = 0;
            while (seq < last) {
                Message msg = sub.nextMessage(Duration.ofSeconds(10));
                if (msg == null) {
                    throw new LedgerUnavailableException("reading " + stream + " stalled at sequence " + seq + " of " + last, null);
                }
                seq = msg.metaData().streamSequence();
                batches.add(toBatch(seq, msg));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerUnavailableException("interrupted while reading " + stream, e);
        } finally {
            sub.unsubscribe();
        }
        return batches;
    }

    /** One stored message as a batch (the peer's fence included). */
    public static StoredBatch toBatch(long seq, Message msg) {
        LedgerBatch batch = parse(msg);
        return new StoredBatch(seq, batch.getPeerSeq(), batch.getEventsList());
    }

    /** Parses one stored ledger message. */
    public static LedgerBatch parse(Message msg) {
        try {
            return LedgerBatch.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt ledger message at " + msg.getSubject(), e);
        }
    }
}
