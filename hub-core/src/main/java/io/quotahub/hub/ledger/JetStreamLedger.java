package io.quotahub.hub.ledger;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.PushSubscribeOptions;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The hub's ledger as a JetStream stream {@code QH_LEDGER_<hub>} (file storage), written only
 * by this hub on {@code qh.ledger.<hub>.events}.
 *
 * <p>Group commit: one writer thread packs every event queued meanwhile into one
 * {@link LedgerBatch} message and keeps several batches in flight, so under load many grants
 * share one publish+ack. Each append carries expected-last-sequence and
 * expected-last-subject-sequence (both predicted, DESIGN.md "Single writer per ledger") and a
 * {@code Nats-Msg-Id}, so a fence written by the peer makes every later append fail.
 * A failed append triggers a resync: the writer waits for the batches in flight, re-reads the
 * stream's last sequence and checks for a fence before it writes again.
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
    private long lastSequence; // writer thread only, after open()
    private long batchCounter;

    private record Pending(LedgerEvent event, CompletableFuture<Void> done) {
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
    public ReplayResult replay(Consumer<LedgerEvent> sink) {
        if (writer.isAlive()) {
            throw new IllegalStateException("replay must happen before the first append");
        }
        long events = 0;
        boolean fenceSeen = false;
        try {
            long last = lastStoredSequence();
            if (last > 0) {
                JetStreamSubscription sub = js.subscribe(Subjects.ledgerSubjects(hubIdOf(stream)),
                        PushSubscribeOptions.builder().stream(stream).ordered(true).build());
                try {
                    long seq = 0;
                    while (seq < last) {
                        Message msg = sub.nextMessage(Duration.ofSeconds(10));
                        if (msg == null) {
                            throw new LedgerUnavailableException("ledger replay stalled at sequence " + seq + " of " + last, null);
                        }
                        seq = msg.metaData().streamSequence();
                        if (msg.getSubject().equals(fenceSubject)) {
                            fenceSeen = true;
                            continue;
                        }
                        for (LedgerEvent event : LedgerBatch.parseFrom(msg.getData()).getEventsList()) {
                            sink.accept(event);
                            events++;
                        }
                    }
                } finally {
                    sub.unsubscribe();
                }
            }
            lastSequence = last;
        } catch (IOException | JetStreamApiException e) {
            throw new LedgerUnavailableException("cannot replay ledger " + stream + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerUnavailableException("interrupted while replaying " + stream, e);
        }
        fenced = fenceSeen;
        writer.start();
        return new ReplayResult(events, fenceSeen);
    }

    private static String hubIdOf(String stream) {
        return stream.substring("QH_LEDGER_".length());
    }

    private long lastStoredSequence() throws IOException, JetStreamApiException {
        StreamInfo info = jsm.getStreamInfo(stream);
        return info.getStreamState().getLastSequence();
    }

    @Override
    public CompletableFuture<Void> append(LedgerEvent event) {
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
        Pending pending = new Pending(event, new CompletableFuture<>());
        queue.add(pending);
        return pending.done;
    }

    @Override
    public boolean fenced() {
        return fenced;
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH_EVENTS);
        while (!closed) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
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
    }

    private void publish(List<Pending> batch) {
        LedgerBatch.Builder message = LedgerBatch.newBuilder();
        for (Pending p : batch) {
            message.addEvents(p.event);
        }
        long expected = lastSequence;
        lastSequence++;
        PublishOptions options = PublishOptions.builder()
                .expectedLastSequence(expected)
                .expectedLastSubjectSequence(expected)
                .messageId(msgIdPrefix + (++batchCounter))
                .build();
        CompletableFuture<PublishAck> ack;
        try {
            ack = js.publishAsync(eventsSubject, message.build().toByteArray(), options);
        } catch (RuntimeException e) {
            ack = CompletableFuture.failedFuture(e);
        }
        ack.orTimeout(ackTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((a, error) -> {
            inFlight.release();
            if (error == null) {
                batch.forEach(p -> p.done.complete(null));
            } else {
                onFailedAppend(batch, error);
            }
        });
    }

    private void onFailedAppend(List<Pending> batch, Throwable error) {
        needsResync = true;
        JetStreamApiException api = unwrap(error);
        String why = api != null && api.getApiErrorCode() == WRONG_LAST_SEQUENCE
                ? "the ledger moved under this hub (fence or an earlier failed append)"
                : error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
        failAll(batch, new LedgerUnavailableException("ledger append not confirmed: " + why, error));
    }

    /** Waits for every batch in flight, then re-reads the stream's last sequence and checks for a fence. */
    private void resync() throws InterruptedException {
        inFlight.acquire(MAX_IN_FLIGHT);
        try {
            while (!closed) {
                try {
                    if (fenceStored()) {
                        fenced = true;
                        LOG.error("ledger {} is fenced by the peer hub: this hub grants nothing more", stream);
                    }
                    lastSequence = lastStoredSequence();
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

    private boolean fenceStored() throws IOException, JetStreamApiException {
        try {
            jsm.getLastMessage(stream, fenceSubject);
            return true;
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() == 404) {
                return false;
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

    /** Parses one stored ledger message (for tools and tests). */
    public static LedgerBatch parse(Message msg) {
        try {
            return LedgerBatch.parseFrom(msg.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt ledger message at " + msg.getSubject(), e);
        }
    }
}
