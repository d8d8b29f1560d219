package io.quotahub.hub.ledger;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Subjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The hub's ledger as a JetStream stream {@code QH_LEDGER_<hub>} (file storage), written only
 * by this hub on {@code qh.ledger.<hub>.events}.
 *
 * <p>Group commit: one writer thread packs every event queued meanwhile into one
 * {@link LedgerBatch} message and keeps several batches in flight, so under load many grants
 * share one publish+ack. Each append carries expected-last-sequence and
 * expected-last-subject-sequence (both predicted; docs/architecture.md, "Single writer per ledger") and a
 * {@code Nats-Msg-Id}, so a fence written by the peer makes every later append fail.
 * A failed append triggers a resync: the writer waits for the batches in flight, re-reads the
 * stream's last sequence and checks for a fence before it writes again.
 *
 * <p>Over 400 lines on purpose: the predicted sequences, the batches in flight and the resync are
 * one piece of state under one writer thread; split, the prediction would be shared across classes.
 */
public final class JetStreamLedger implements Ledger {

    private static final Logger LOG = LoggerFactory.getLogger(JetStreamLedger.class);
    private static final int MAX_BATCH_EVENTS = 512;
    private static final int MAX_IN_FLIGHT = 32;
    private static final int WRONG_LAST_SEQUENCE = 10071;

    private final Connection connection;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final String stream;
    private final String eventsSubject;
    private final String fenceSubject;
    private final Duration ackTimeout;
    private final String msgIdPrefix;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Thread writer;

    private volatile boolean fenced;
    private volatile boolean needsResync;
    private volatile boolean closed;
    private volatile FenceListener fenceListener = seq -> { };
    private LongSupplier peerCursor = () -> 0;
    private long lastSequence; // writer thread only, after replay()
    private long lastEventsSequence; // last sequence on the events subject: differs from lastSequence after a fence
    private volatile long knownFenceSeq;
    private long batchCounter;

    private volatile LongConsumer appendLatency = nanos -> { };

    /** A batch sent whose acknowledgement never came: it may or may not be stored. */
    private record Unconfirmed(List<Pending> batch, byte[] body, String msgId) {
    }

    private final ConcurrentSkipListMap<Long, Unconfirmed> unconfirmed = new ConcurrentSkipListMap<>();

    private record Pending(LedgerEvent event, CompletableFuture<Long> done, long startNanos) {
    }

    public JetStreamLedger(Connection connection, String hubId, Duration ackTimeout) throws IOException {
        this.connection = connection;
        this.js = connection.jetStream();
        this.jsm = connection.jetStreamManagement();
        this.stream = Subjects.ledgerStream(hubId);
        this.eventsSubject = Subjects.ledgerEvents(hubId);
        this.fenceSubject = Subjects.ledgerFence(hubId);
        this.ackTimeout = ackTimeout;
        this.msgIdPrefix = hubId + ":" + Long.toString(System.currentTimeMillis(), 36) + ":";
        this.writer = new Thread(this::writeLoop, "qh-ledger-writer-" + hubId);
        this.writer.setDaemon(true);
        ensureStream(hubId);
    }

    private void ensureStream(String hubId) throws IOException {
        try {
            jsm.getStreamInfo(stream);
        } catch (JetStreamApiException notFound) {
            try {
                jsm.addStream(StreamConfiguration.builder()
                        .name(stream)
                        .subjects(Subjects.ledgerSubjects(hubId))
                        .storageType(StorageType.File)
                        .duplicateWindow(Duration.ofMinutes(2))
                        .build());
                LOG.info("created ledger stream {}", stream);
            } catch (JetStreamApiException e) {
                throw new IOException("cannot create ledger stream " + stream + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public ReplayResult replay(Consumer<StoredBatch> sink, LongSupplier cursor) {
        return replayAfter(0, sink, cursor);
    }

    /**
     * Streams every stored message after {@code afterSeq} (0: all; a snapshot's own sequence
     * otherwise) into {@code sink} as it is read — the ledger is never held in memory — then
     * starts accepting appends. Fence and last-sequence bookkeeping comes from the stream itself,
     * so it is right whatever {@code afterSeq} skips.
     */
    public ReplayResult replayAfter(long afterSeq, Consumer<StoredBatch> sink, LongSupplier cursor) {
        if (writer.isAlive()) {
            throw new IllegalStateException("replay must happen before the first append");
        }
        long batches = 0;
        long events = 0;
        long fenceSeq;
        try {
            long last = lastStoredSequence();
            try (LedgerCursor reader = new LedgerCursor(js, stream, Subjects.ledgerSubjects(hubIdOf(stream)), afterSeq, last)) {
                for (StoredBatch batch = reader.next(); batch != null; batch = reader.next()) {
                    sink.accept(batch);
                    batches++;
                    events += batch.events().size();
                }
            }
            lastSequence = last;
            lastEventsSequence = lastSequenceOn(eventsSubject);
            fenceSeq = lastFenceSeq();
        } catch (IOException | JetStreamApiException e) {
            throw new LedgerUnavailableException("cannot replay ledger " + stream + ": " + e.getMessage(), e);
        }
        knownFenceSeq = fenceSeq;
        fenced = fenceSeq > 0;
        peerCursor = cursor;
        writer.start();
        return new ReplayResult(batches, events, lastSequence, fenceSeq);
    }

    private static String hubIdOf(String stream) {
        return stream.substring("QH_LEDGER_".length());
    }

    private long lastStoredSequence() throws IOException, JetStreamApiException {
        StreamInfo info = jsm.getStreamInfo(stream);
        return info.getStreamState().getLastSequence();
    }

    @Override
    public CompletableFuture<Long> append(LedgerEvent event) {
        if (fenced) {
            return CompletableFuture.failedFuture(new LedgerFencedException("ledger " + stream + " is fenced by the peer hub"));
        }
        if (closed) {
            return CompletableFuture.failedFuture(new LedgerUnavailableException("ledger " + stream + " is closed", null));
        }
        if (!writer.isAlive()) {
            return CompletableFuture.failedFuture(new IllegalStateException("ledger not replayed yet"));
        }
        if (connection.getStatus() != Connection.Status.CONNECTED) {
            // Fail fast instead of parking the grant in the client's reconnect buffer until it times out.
            return CompletableFuture.failedFuture(new LedgerUnavailableException("NATS connection is " + connection.getStatus(), null));
        }
        Pending pending = new Pending(event, new CompletableFuture<>(), System.nanoTime());
        queue.add(pending);
        return pending.done;
    }

    /**
     * Receives, for every append the stream acknowledged, the nanoseconds from {@link #append} to
     * the acknowledgement (metrics). Called on the acknowledging thread: keep it cheap.
     */
    public void onAppendLatency(LongConsumer listener) {
        this.appendLatency = listener;
    }

    @Override
    public boolean fenced() {
        return fenced;
    }

    @Override
    public long fenceSeq() {
        return knownFenceSeq;
    }

    @Override
    public void resume() {
        fenced = false;
    }

    @Override
    public void learnFence(long fenceSeq) {
        if (fenceSeq > knownFenceSeq) {
            knownFenceSeq = fenceSeq;
            fenced = true;
            needsResync = true;
            LOG.error("ledger {} was fenced by the peer hub at sequence {} (its takeover says so): granting stops until it is folded",
                    stream, fenceSeq);
        }
    }

    @Override
    public void onFence(FenceListener listener) {
        this.fenceListener = listener;
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH_EVENTS);
        while (!closed) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (needsResync && !unconfirmed.isEmpty()) {
                        resync(); // settle lost acknowledgements even when nothing new is appended
                    }
                    continue;
                }
                inFlight.acquire();
                if (needsResync) {
                    inFlight.release();
                    resync();
                    inFlight.acquire();
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH_EVENTS - 1);
                if (fenced) {
                    inFlight.release();
                    failAll(batch, new LedgerFencedException("ledger " + stream + " is fenced by the peer hub"));
                    needsResync = true; // after resume(), re-read the tail before writing
                } else {
                    publish(List.copyOf(batch));
                }
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                LOG.error("ledger writer error", e);
                inFlight.release();
                failAll(batch, new LedgerUnavailableException("ledger write failed: " + e.getMessage(), e));
                batch.clear();
                needsResync = true;
            }
        }
        failAll(new ArrayList<>(queue), new LedgerUnavailableException("ledger " + stream + " closed", null));
        unconfirmed.values().forEach(u -> failAll(u.batch, new LedgerUnavailableException("ledger " + stream + " closed", null)));
    }

    private void publish(List<Pending> batch) {
        LedgerBatch.Builder message = LedgerBatch.newBuilder().setPeerSeq(peerCursor.getAsLong());
        for (Pending p : batch) {
            message.addEvents(p.event);
        }
        long expected = lastSequence;
        long expectedOnSubject = lastEventsSequence;
        lastSequence++;
        lastEventsSequence = lastSequence;
        long number = ++batchCounter;
        String msgId = msgIdPrefix + number;
        byte[] body = message.build().toByteArray();
        CompletableFuture<PublishAck> ack;
        try {
            ack = js.publishAsync(eventsSubject, body, options(expected, expectedOnSubject, msgId));
        } catch (RuntimeException notSent) {
            inFlight.release();
            needsResync = true;
            failAll(batch, new LedgerUnavailableException("ledger append not sent: " + notSent.getMessage(), notSent));
            return;
        }
        ack.orTimeout(ackTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((a, error) -> {
            inFlight.release();
            if (error == null) {
                confirm(batch, a.getSeqno());
            } else if (unwrap(error) != null) {
                // Refused by the stream (wrong sequence: a fence, or an earlier batch that was not
                // stored): definitely not stored.
                needsResync = true;
                failAll(batch, new LedgerUnavailableException("ledger append refused: the ledger moved under this hub", error));
            } else {
                // Sent, but no acknowledgement: it may be stored. The resync settles it either way,
                // so the hub never forgets a grant the ledger holds.
                needsResync = true;
                unconfirmed.put(number, new Unconfirmed(batch, body, msgId));
            }
        });
    }

    private static PublishOptions options(long expected, long expectedOnSubject, String msgId) {
        return PublishOptions.builder()
                .expectedLastSequence(expected)
                .expectedLastSubjectSequence(expectedOnSubject)
                .messageId(msgId)
                .build();
    }

    private void confirm(List<Pending> batch, long seq) {
        long now = System.nanoTime();
        LongConsumer latency = appendLatency;
        for (Pending p : batch) {
            latency.accept(now - p.startNanos);
            p.done.complete(seq);
        }
    }

    /**
     * Settles every unconfirmed batch, oldest first, by sending it again with the same
     * Nats-Msg-Id: JetStream answers a duplicate before any sequence check, so a batch that was
     * stored is confirmed and one that was not is stored now. A fenced ledger must not grow, so
     * there the batch is sent with an expectation that cannot hold: only the duplicate answer
     * (stored before the fence) confirms it.
     */
    private void settleUnconfirmed() throws IOException, JetStreamApiException, InterruptedException {
        for (var entry : unconfirmed.entrySet()) {
            Unconfirmed u = entry.getValue();
            PublishOptions options = fenced
                    ? options(Long.MAX_VALUE, Long.MAX_VALUE, u.msgId)
                    : options(lastSequence, lastEventsSequence, u.msgId);
            PublishAck ack;
            try {
                ack = js.publishAsync(eventsSubject, u.body, options).get(ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (unwrap(e) == null) {
                    throw new IOException("still no acknowledgement: " + e.getCause(), e);
                }
                unconfirmed.remove(entry.getKey());
                failAll(u.batch, new LedgerUnavailableException("ledger append not stored: " + e.getCause().getMessage(), e));
                continue;
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IOException("still no acknowledgement", e);
            }
            if (!ack.isDuplicate()) {
                lastSequence = ack.getSeqno();
                lastEventsSequence = ack.getSeqno();
            }
            unconfirmed.remove(entry.getKey());
            confirm(u.batch, ack.getSeqno());
        }
    }

    /** Waits for every batch in flight, then re-reads the stream's last sequence and checks for a fence. */
    private void resync() throws InterruptedException {
        inFlight.acquire(MAX_IN_FLIGHT);
        try {
            while (!closed) {
                try {
                    long fenceSeq = lastFenceSeq();
                    if (fenceSeq > knownFenceSeq) {
                        knownFenceSeq = fenceSeq;
                        fenced = true;
                        LOG.error("ledger {} was fenced by the peer hub at sequence {}: granting stops until the takeover is folded",
                                stream, fenceSeq);
                        fenceListener.fenced(fenceSeq);
                    }
                    lastSequence = lastStoredSequence();
                    lastEventsSequence = lastSequenceOn(eventsSubject);
                    settleUnconfirmed();
                    needsResync = false;
                    LOG.info("ledger {} resynced at sequence {}", stream, lastSequence);
                    return;
                } catch (IOException | JetStreamApiException e) {
                    LOG.warn("ledger {} unreachable, retrying: {}", stream, e.getMessage());
                    Thread.sleep(200);
                }
            }
        } finally {
            inFlight.release(MAX_IN_FLIGHT);
        }
    }

    /** Sequence of the newest fence in the stream, 0 if none. */
    private long lastFenceSeq() throws IOException, JetStreamApiException {
        return lastSequenceOn(fenceSubject);
    }

    private long lastSequenceOn(String subject) throws IOException, JetStreamApiException {
        try {
            return jsm.getLastMessage(stream, subject).getSeq();
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() == 404) {
                return 0;
            }
            throw e;
        }
    }

    private static JetStreamApiException unwrap(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof JetStreamApiException api) {
                return api;
            }
        }
        return null;
    }

    private static void failAll(List<Pending> pending, RuntimeException error) {
        pending.forEach(p -> p.done.completeExceptionally(error));
    }

    @Override
    public void close() {
        closed = true;
        writer.interrupt();
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
