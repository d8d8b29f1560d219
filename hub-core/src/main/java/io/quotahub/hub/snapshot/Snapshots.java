package io.quotahub.hub.snapshot;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.ledger.BatchSource;
import io.quotahub.hub.ledger.LedgerCursor;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.proto.Subjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A hub's snapshots (docs/architecture.md, "State is a fold of two ledgers": restart = snapshot + tail), over a NATS
 * connection of their own so that reading the ledgers' tails never queues behind (or ahead of) the
 * acquires on the serving connection: finds the newest usable
 * one at start-up, and writes a new one in the background when enough ledger messages (own +
 * peer copy) came after the newest (but at most every {@link #MIN_SPACING}), or it is old and
 * anything came at all. A snapshot that cannot
 * be used — unreadable, corrupt, another format or configuration, or naming sequences its ledgers
 * do not have (a ledger recreated) — is reported in the log and start-up replays everything.
 */
public final class Snapshots implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);
    /** Snapshots hold every settled id of the dedup horizon (MBs under load): never more often than this. */
    static final Duration MIN_SPACING = Duration.ofSeconds(30);

    private final String hubId;
    private final String peerId;
    private final EngineConfig config;
    private final Clock clock;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final SnapshotStore store;
    private final SnapshotBuilder builder;
    private final long everyMessages;
    private final Duration maxAge;
    private volatile SnapshotMark latest;
    private ScheduledExecutorService writer;

    /**
     * @param peerId        the peer hub, null for a single hub
     * @param everyMessages write when this many ledger messages came after the newest snapshot
     * @param maxAge        also write when the newest is this old and anything came after it
     */
    public Snapshots(Connection connection, String hubId, String peerId, EngineConfig config, Clock clock,
                     long everyMessages, Duration maxAge) throws IOException {
        this(connection, hubId, peerId, config, () -> config, clock, everyMessages, maxAge);
    }

    /**
     * @param config  the configuration a snapshot must fit to be restored (the one this hub started with)
     * @param current the configuration now (a reload changes it): new snapshots are built under it
     */
    public Snapshots(Connection connection, String hubId, String peerId, EngineConfig config,
                     java.util.function.Supplier<EngineConfig> current, Clock clock, long everyMessages, Duration maxAge)
            throws IOException {
        this.hubId = hubId;
        this.peerId = peerId;
        this.config = config;
        this.clock = clock;
        this.js = connection.jetStream();
        this.jsm = connection.jetStreamManagement();
        this.store = new SnapshotStore(connection, hubId);
        this.builder = new SnapshotBuilder(hubId, current, clock);
        this.everyMessages = everyMessages;
        this.maxAge = maxAge;
    }

    /** The newest snapshot if it can be used, else null (why is logged): then replay everything. */
    public HubSnapshot loadUsable() {
        HubSnapshot s;
        QuotaEngine scratch;
        LedgerFold scratchFold;
        try {
            byte[] bytes = store.latest();
            if (bytes == null) {
                LOG.info("hub {}: no snapshot in {} yet: replaying the whole ledger", hubId, store.bucket());
                return null;
            }
            s = HubSnapshot.decode(bytes);
            check(s);
            // restore into a scratch engine first: a failure must never leave the live engine half-restored
            scratch = new QuotaEngine(config, clock, EngineListener.NONE);
            scratchFold = new LedgerFold(hubId, scratch, lease -> { });
            SnapshotBuilder.restore(s, scratch, scratchFold);
        } catch (IOException | RuntimeException e) {
            LOG.error("hub {}: the snapshot in {} cannot be used ({}): IGNORING it and replaying the whole ledger;"
                    + " a new snapshot replaces it shortly (see docs/operations.md \"Snapshots\")", hubId, store.bucket(), e.getMessage());
            return null;
        }
        latest = s.mark();
        builder.startFrom(s, scratch, scratchFold); // the check's engine is where the next snapshot starts
        return s;
    }

    private void check(HubSnapshot s) throws IOException {
        if (!s.hubId().equals(hubId)) {
            throw new IOException("it is hub " + s.hubId() + "'s");
        }
        long ownLast = lastSeq(Subjects.ledgerStream(hubId));
        if (s.ownSeq() > ownLast) {
            throw new IOException("it covers the own ledger through sequence " + s.ownSeq() + " but the ledger ends at " + ownLast
                    + " (was the ledger stream recreated?)");
        }
        long peerLast = peerId == null ? 0 : lastSeq(Subjects.peerCopyStream(peerId));
        if (s.peerSeq() > peerLast) {
            throw new IOException("it covers the peer copy through sequence " + s.peerSeq() + " but the copy ends at " + peerLast
                    + " (was the copy recreated?)");
        }
    }

    /**
     * Checks every {@code checkEvery} whether a snapshot is due, on its own thread in the OS's idle
     * scheduling class: folding, serializing and storing a snapshot takes a core for seconds under
     * load, and must take only what the serving threads leave.
     */
    public void start(Duration checkEvery) {
        writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qh-snapshot-" + hubId);
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        writer.execute(() -> {
            if (IdlePriority.applyToCurrentThread()) {
                LOG.info("hub {}: snapshots run at the OS's idle priority", hubId);
            }
        });
        writer.scheduleWithFixedDelay(this::writeIfDue, 0, checkEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void writeIfDue() {
        try {
            SnapshotMark base = latest;
            long pending = lastSeq(Subjects.ledgerStream(hubId)) - (base == null ? 0 : base.ownSeq())
                    + (peerId == null ? 0 : lastSeq(Subjects.peerCopyStream(peerId)) - (base == null ? 0 : base.peerSeq()));
            long age = base == null ? Long.MAX_VALUE : clock.millis() - base.takenAtMillis();
            boolean spaced = age >= Math.min(MIN_SPACING.toMillis(), maxAge.toMillis());
            if (spaced && pending >= everyMessages || pending > 0 && age >= maxAge.toMillis()) {
                writeNow();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("hub {}: snapshot not written, retrying later: {}", hubId, e.getMessage());
        }
    }

    /** Builds a snapshot of both ledgers as stored now and stores it. */
    public synchronized SnapshotMark writeNow() throws IOException {
        long t0 = System.nanoTime();
        SnapshotBuilder.Encoded s;
        try {
            long[] after = builder.prepare();
            try (LedgerCursor own = new LedgerCursor(js, Subjects.ledgerStream(hubId), Subjects.ledgerSubjects(hubId), after[0],
                    lastSeq(Subjects.ledgerStream(hubId)));
                 LedgerCursor peer = peerId == null ? null : new LedgerCursor(js, Subjects.peerCopyStream(peerId),
                         Subjects.ledgerSubjects(peerId), after[1], lastSeq(Subjects.peerCopyStream(peerId)))) {
                s = builder.build(own, peer == null ? BatchSource.of(List.of()) : peer);
            }
        } catch (IOException | RuntimeException e) {
            builder.reset(storedQuietly()); // the shadow may be half-folded: start again from what is stored
            throw e;
        }
        store.put(s.bytes().inputStream());
        latest = s.mark();
        LOG.info("hub {}: snapshot written: own ledger through {}, peer copy through {}, {} events folded, {} KiB, in {} ms",
                hubId, s.mark().ownSeq(), s.mark().peerSeq(), s.mark().events(), s.size() / 1024, (System.nanoTime() - t0) / 1_000_000);
        return s.mark();
    }

    /** The stored snapshot if it is this hub's and decodes, else null (a shadow then starts from the ledgers' start). */
    private HubSnapshot storedQuietly() {
        try {
            byte[] bytes = store.latest();
            HubSnapshot s = bytes == null ? null : HubSnapshot.decode(bytes);
            return s != null && s.hubId().equals(hubId) ? s : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Where the newest snapshot this hub loaded or wrote stands, or null. */
    public SnapshotMark latest() {
        return latest;
    }

    /** For tests and tools: the store. */
    public SnapshotStore store() {
        return store;
    }

    private long lastSeq(String stream) throws IOException {
        try {
            return jsm.getStreamInfo(stream).getStreamState().getLastSequence();
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read " + stream + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (writer != null) {
            writer.shutdownNow();
        }
    }
}
