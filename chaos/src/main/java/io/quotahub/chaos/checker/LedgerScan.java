package io.quotahub.chaos.checker;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the hubs' ledgers ({@code QH_LEDGER_<hub>}, protobuf {@link LedgerBatch}) straight from
 * each machine's JetStream — not through a hub — and remembers every granted lease id. Reads
 * incrementally: each scan continues after the last sequence it read.
 */
public final class LedgerScan {

    private final Map<String, Long> lastSeq = new HashMap<>();
    private final Set<String> granted = ConcurrentHashMap.newKeySet();
    private final Set<String> closed = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> eventCounts = new ConcurrentHashMap<>();
    private final Map<String, SettleIntegrity.Closing> closings = new ConcurrentHashMap<>();

    /**
     * Reads what is new in {@code QH_LEDGER_<hub>} on the server at {@code natsUrl}.
     *
     * @throws IOException when the server or the stream cannot be read
     */
    public synchronized void scan(String hub, String natsUrl) throws IOException {
        String stream = "QH_LEDGER_" + hub;
        Options options = Options.builder().server(natsUrl).connectionTimeout(Duration.ofSeconds(3)).maxReconnects(0)
                .errorListener(new io.nats.client.ErrorListener() { }).build();
        try (Connection nc = Nats.connect(options)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
            long from = lastSeq.getOrDefault(hub, 0L) + 1;
            if (last < from) {
                return;
            }
            JetStream js = nc.jetStream();
            JetStreamSubscription sub = js.subscribe("qh.ledger." + hub + ".>", PushSubscribeOptions.builder().stream(stream)
                    .ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(from).build())
                    .build());
            try {
                long seq = from - 1;
                while (seq < last) {
                    Message m = sub.nextMessage(Duration.ofSeconds(10));
                    if (m == null) {
                        throw new IOException("reading " + stream + " stalled at " + seq + " of " + last);
                    }
                    seq = m.metaData().streamSequence();
                    take(LedgerBatch.parseFrom(m.getData()));
                }
                lastSeq.put(hub, seq);
            } finally {
                sub.unsubscribe();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading " + stream, e);
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read " + stream + ": " + e.getMessage(), e);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("corrupt message in " + stream, e);
        }
    }

    private void take(LedgerBatch batch) {
        for (LedgerEvent e : batch.getEventsList()) {
            eventCounts.merge(e.getEventCase().name(), 1L, Long::sum);
            if (e.hasGrant()) {
                granted.add(e.getGrant().getLeaseId());
            } else if (e.hasSettle()) {
                closed.add(e.getSettle().getLeaseId());
                close(e.getSettle().getLeaseId(), new SettleIntegrity.Closing(e.getSettle().getOutcome().name(),
                        e.getSettle().getTokensUsed(), e.getAtEpochMs()));
            } else if (e.hasExpire()) {
                closed.add(e.getExpire().getLeaseId());
                close(e.getExpire().getLeaseId(), new SettleIntegrity.Closing("EXPIRED", -1, e.getAtEpochMs()));
            }
        }
    }

    /** The first closing of a lease across both ledgers wins (the hubs refuse a second settle). */
    private void close(String leaseId, SettleIntegrity.Closing c) {
        closings.merge(leaseId, c, (a, b) -> b.atEpochMs() < a.atEpochMs() ? b : a);
    }

    public boolean hasGrant(String leaseId) {
        return granted.contains(leaseId);
    }

    /** Leases settled or expired in a ledger. */
    public Set<String> closedLeases() {
        return Set.copyOf(closed);
    }

    /** How each lease read so far was first closed (settled or expired), by lease id. */
    public Map<String, SettleIntegrity.Closing> closings() {
        return Map.copyOf(closings);
    }

    public int grants() {
        return granted.size();
    }

    /** Events read so far by type (GRANT, SETTLE, FENCE, TAKEOVER…). */
    public Map<String, Long> eventCounts() {
        return Map.copyOf(eventCounts);
    }
}
