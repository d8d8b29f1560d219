package io.quotahub.hub.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.quotahub.proto.AuditEntry;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Subjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A hub's audit stream {@code QH_AUDIT_<hub>} (file storage, subject {@code qh.audit.<hub>}, in
 * the hub's own JetStream domain, messages older than {@code quotahub.audit.max-age} dropped by
 * the server): one {@link AuditEntry} per admin action, a copy of the ledger event with its
 * ledger sequence, published after the ledger acknowledged the event. Small by construction —
 * admin actions are rare — so listing them by time is one short-lived consumer that starts at a
 * time, never a scan of the ledger (which holds millions of grants).
 *
 * <p>Reads use an ephemeral pull consumer (deliver by start time, no acks, deleted after the
 * read); the peer's stream is read the same way through the peer's JetStream domain.
 */
public final class AuditStore {

    private static final Logger LOG = LoggerFactory.getLogger(AuditStore.class);
    /** Stream timestamps are the server's clock, entries carry the hub's: start the read this much earlier. */
    static final Duration CLOCK_SLACK = Duration.ofMinutes(5);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);

    private final Connection connection;
    private final String hubId;
    private final JetStream js;

    /** Opens (and creates, or updates to {@code maxAge}) this hub's audit stream. */
    public AuditStore(Connection connection, String hubId, Duration maxAge) throws IOException {
        this.connection = connection;
        this.hubId = hubId;
        this.js = connection.jetStream();
        ensureStream(connection.jetStreamManagement(), maxAge);
    }

    public static String streamName(String hubId) {
        return "QH_AUDIT_" + hubId;
    }

    public static String subject(String hubId) {
        return "qh.audit." + hubId;
    }

    private void ensureStream(JetStreamManagement jsm, Duration maxAge) throws IOException {
        String stream = streamName(hubId);
        try {
            StreamInfo info = jsm.getStreamInfo(stream);
            if (!maxAge.equals(info.getConfiguration().getMaxAge())) {
                jsm.updateStream(StreamConfiguration.builder(info.getConfiguration()).maxAge(maxAge).build());
                LOG.info("audit stream {}: max age now {}", stream, maxAge);
            }
        } catch (JetStreamApiException notFound) {
            try {
                jsm.addStream(StreamConfiguration.builder()
                        .name(stream)
                        .subjects(subject(hubId))
                        .storageType(StorageType.File)
                        .maxAge(maxAge)
                        .duplicateWindow(Duration.ofMinutes(2))
                        .description("QuotaHub admin actions of hub " + hubId)
                        .build());
                LOG.info("created audit stream {}", stream);
            } catch (JetStreamApiException e) {
                throw new IOException("cannot create audit stream " + stream + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Publishes the entry of an admin event stored at {@code ledgerSeq}. The message id is the
     * ledger position, so a retry is stored once.
     */
    public CompletableFuture<?> append(long ledgerSeq, LedgerEvent event) {
        byte[] body = AuditEntry.newBuilder().setLedgerSeq(ledgerSeq).setEvent(event).build().toByteArray();
        PublishOptions options = PublishOptions.builder().messageId(hubId + ":" + ledgerSeq).build();
        return js.publishAsync(subject(hubId), body, options);
    }

    /** The ledger sequence of the newest entry (0 when there is none). */
    public long lastLedgerSeq() throws IOException {
        try {
            var last = connection.jetStreamManagement().getLastMessage(streamName(hubId), subject(hubId));
            return AuditEntry.parseFrom(last.getData()).getLedgerSeq();
        } catch (JetStreamApiException noMessage) {
            return 0;
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("the newest entry of " + streamName(hubId) + " is not an audit entry", e);
        }
    }

    /** What a read found: the entries, whether more were there than {@code max}. */
    public record Read(List<AuditEntry> entries, boolean truncated) {
    }

    /** This hub's entries at or after {@code since} (by the entries' own time), oldest first, at most {@code max}. */
    public Read readOwn(Instant since, int max) throws IOException {
        return read(connection, null, hubId, since, max);
    }

    /** The entries of hub {@code peerId}'s audit stream, read through JetStream domain {@code peerDomain}. */
    public Read readPeer(String peerId, String peerDomain, Instant since, int max) throws IOException {
        return read(connection, peerDomain, peerId, since, max);
    }

    static Read read(Connection connection, String domain, String hub, Instant since, int max) throws IOException {
        String stream = streamName(hub);
        JetStreamOptions options = JetStreamOptions.builder().domain(domain).requestTimeout(READ_TIMEOUT).build();
        JetStreamManagement jsm = connection.jetStreamManagement(options);
        ConsumerInfo consumer;
        try {
            consumer = jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder()
                    .deliverPolicy(DeliverPolicy.ByStartTime)
                    .startTime(since.minus(CLOCK_SLACK).atZone(ZoneOffset.UTC))
                    .ackPolicy(AckPolicy.None)
                    .filterSubject(subject(hub))
                    .inactiveThreshold(Duration.ofMinutes(1))
                    .build());
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read " + stream + (domain == null ? "" : " in domain " + domain) + ": " + e.getMessage(), e);
        }
        try {
            return fetch(connection, domain, stream, consumer, since, max);
        } finally {
            try {
                jsm.deleteConsumer(stream, consumer.getName());
            } catch (JetStreamApiException | IOException e) {
                LOG.debug("audit read: consumer {} of {} not deleted ({}); it expires on its own", consumer.getName(), stream, e.toString());
            }
        }
    }

    /** Pulls every pending message once (no_wait), keeping the entries at or after {@code since}. */
    private static Read fetch(Connection connection, String domain, String stream, ConsumerInfo consumer, Instant since,
                              int max) throws IOException {
        long pending = consumer.getNumPending();
        List<AuditEntry> entries = new ArrayList<>();
        if (pending == 0) {
            return new Read(entries, false);
        }
        String api = domain == null ? "$JS.API." : "$JS." + domain + ".API.";
        String inbox = connection.createInbox();
        Subscription sub = connection.subscribe(inbox);
        try {
            int batch = (int) Math.min(pending, 10_000);
            connection.publish(api + "CONSUMER.MSG.NEXT." + stream + "." + consumer.getName(), inbox,
                    ("{\"batch\":" + batch + ",\"no_wait\":true}").getBytes(StandardCharsets.UTF_8));
            boolean truncated = false;
            for (int i = 0; i < batch; i++) {
                Message m = sub.nextMessage(READ_TIMEOUT);
                if (m == null || m.isStatusMessage()) {
                    break;
                }
                AuditEntry entry;
                try {
                    entry = AuditEntry.parseFrom(m.getData());
                } catch (InvalidProtocolBufferException e) {
                    continue; // not written by a hub: skip
                }
                if (entry.getEvent().getAtEpochMs() < since.toEpochMilli()) {
                    continue;
                }
                if (entries.size() == max) {
                    truncated = true;
                    break;
                }
                entries.add(entry);
            }
            return new Read(entries, truncated || pending > batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + stream, e);
        } finally {
            sub.unsubscribe();
        }
    }
}
