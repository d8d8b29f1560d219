package io.quotahub.hub.ledger;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;

import java.io.IOException;
import java.time.Duration;

/**
 * Reads a ledger stream (own or a peer copy) from one sequence through another, one batch at a
 * time, with an ordered consumer: memory stays O(one flow-control window) whatever the ledger's
 * length. Fence messages come as batches holding one Fence event.
 */
public final class LedgerCursor implements BatchSource, AutoCloseable {

    private static final Duration STALL = Duration.ofSeconds(10);

    private final String stream;
    private final long last;
    private final JetStreamSubscription sub;
    private long seq;
    private StoredBatch peeked;

    /** Messages {@code afterSeq + 1 .. last} of {@code stream}; nothing when {@code last <= afterSeq}. */
    public LedgerCursor(JetStream js, String stream, String subjects, long afterSeq, long last) throws IOException {
        this.stream = stream;
        this.last = last;
        this.seq = afterSeq;
        if (last <= afterSeq) {
            this.sub = null;
            return;
        }
        try {
            ConsumerConfiguration.Builder from = ConsumerConfiguration.builder();
            if (afterSeq > 0) {
                from.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(afterSeq + 1);
            }
            this.sub = js.subscribe(subjects, PushSubscribeOptions.builder().stream(stream).ordered(true)
                    .configuration(from.build()).build());
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read " + stream + ": " + e.getMessage(), e);
        }
    }

    @Override
    public StoredBatch peek() {
        if (peeked == null) {
            peeked = read();
        }
        return peeked;
    }

    @Override
    public StoredBatch next() {
        StoredBatch b = peek();
        peeked = null;
        return b;
    }

    private StoredBatch read() {
        if (sub == null || seq >= last) {
            return null;
        }
        try {
            Message msg = sub.nextMessage(STALL);
            if (msg == null) {
                throw new LedgerUnavailableException("reading " + stream + " stalled at sequence " + seq + " of " + last, null);
            }
            seq = msg.metaData().streamSequence();
            return LedgerReader.toBatch(seq, msg);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerUnavailableException("interrupted while reading " + stream, e);
        }
    }

    @Override
    public void close() {
        if (sub != null) {
            sub.unsubscribe();
        }
    }
}
