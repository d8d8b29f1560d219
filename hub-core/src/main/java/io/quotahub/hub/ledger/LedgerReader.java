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
     * Reads messages 1..{@code last} of a ledger stream into a list. Only for small ledgers (tests,
     * diagnostics): a hub's start-up streams with {@link LedgerCursor} instead.
     */
    public static List<StoredBatch> readAll(JetStream js, String stream, String subjects, long last) throws IOException {
        List<StoredBatch> batches = new ArrayList<>();
        try (LedgerCursor cursor = new LedgerCursor(js, stream, subjects, 0, last)) {
            for (StoredBatch b = cursor.next(); b != null; b = cursor.next()) {
                batches.add(b);
            }
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
