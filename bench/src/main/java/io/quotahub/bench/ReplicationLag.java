package io.quotahub.bench;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Subjects;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * 1. Replication lag main → edge: N grants on hub-main through the SDK (paced); for each, the time
 * from the grant event's {@code at_epoch_ms} and from the moment the agent got its lease to the
 * moment the event is stored in edge's copy {@code QH_PEER_main} (the copy's own stored timestamp,
 * read by an ordered consumer on edge's server), and to its delivery to that consumer.
 */
final class ReplicationLag implements TwoHubMeasurement {

    @Override
    public String name() {
        return "lag";
    }

    /** What edge's ordered consumer saw of one grant. */
    private record Seen(long deliveredMicros, long storedMicros, long atEpochMs) {
    }

    @Override
    public void run(BenchHubs pair, TwoHubOptions o, TwoHubReport out) throws Exception {
        int n = o.lagGrants;
        int rate = o.lagRate;
        TwoHubBench.log("replication lag: %d grants on hub-main at %d/s, watched in edge's %s", n, rate, Subjects.peerCopyStream("main"));
        Map<String, Seen> seen = new ConcurrentHashMap<>();
        Map<String, Long> mainStored = new ConcurrentHashMap<>();
        Map<String, Long> leaseMicros = new ConcurrentHashMap<>();
        List<String> hubsServing = new ArrayList<>();
        try (Connection edge = Nats.connect(new Options.Builder().server(pair.serverUrl("edge")).connectionName("bench-lag-watch").build());
             Connection main = Nats.connect(new Options.Builder().server(pair.serverUrl("main")).connectionName("bench-lag-source").build());
             QuotaClient client = TwoHubBench.agent(pair, "main", "bench-lag-agent")) {
            Dispatcher mainDispatcher = main.createDispatcher();
            main.jetStream().subscribe(Subjects.ledgerSubjects("main"), mainDispatcher, (Message msg) -> {
                long stored = micros(msg.metaData().timestamp());
                for (LedgerEvent e : parse(msg).getEventsList()) {
                    if (e.hasGrant()) {
                        mainStored.put(e.getGrant().getLeaseId(), stored);
                    }
                }
            }, false, PushSubscribeOptions.builder().stream(Subjects.ledgerStream("main")).ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
            main.flush(Duration.ofSeconds(5));
            JetStream js = edge.jetStream();
            Dispatcher dispatcher = edge.createDispatcher();
            js.subscribe(Subjects.ledgerSubjects("main"), dispatcher, (Message msg) -> {
                long delivered = micros(Instant.now());
                long stored = micros(msg.metaData().timestamp());
                for (LedgerEvent e : parse(msg).getEventsList()) {
                    if (e.hasGrant()) {
                        seen.put(e.getGrant().getLeaseId(), new Seen(delivered, stored, e.getAtEpochMs()));
                    }
                }
            }, false, PushSubscribeOptions.builder().stream(Subjects.peerCopyStream("main")).ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
            edge.flush(Duration.ofSeconds(5));
            // warm-up: the SDK's connection and the JIT on both sides
            for (int i = 0; i < 500; i++) {
                client.acquire("bench", 1, Duration.ofSeconds(5)).complete(1);
            }
            BenchHubs.sleep(500);
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long due = start + i * period;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                Lease lease = client.acquire("bench", 1, Duration.ofSeconds(5));
                leaseMicros.put(lease.leaseId(), micros(Instant.now()));
                if (!hubsServing.contains(lease.hubId())) {
                    hubsServing.add(lease.hubId());
                }
                lease.complete(1);
            }
            long elapsed = System.nanoTime() - start;
            BenchHubs.await("edge's copy holds every grant", Duration.ofSeconds(30),
                    () -> leaseMicros.keySet().stream().allMatch(k -> seen.containsKey(k) && mainStored.containsKey(k)), pair);
            Histogram fromMainStored = Stats.histogram();
            Histogram fromEvent = Stats.histogram();
            Histogram fromLeaseToStored = Stats.histogram();
            Histogram fromLeaseToDelivered = Stats.histogram();
            int storedBeforeLease = 0;
            for (Map.Entry<String, Long> e : leaseMicros.entrySet()) {
                Seen s = seen.get(e.getKey());
                Stats.record(fromMainStored, (s.storedMicros - mainStored.get(e.getKey())) * 1000);
                Stats.record(fromEvent, (s.storedMicros - s.atEpochMs * 1000) * 1000);
                long d = s.storedMicros - e.getValue();
                if (d < 0) {
                    storedBeforeLease++;
                }
                Stats.record(fromLeaseToStored, d * 1000);
                Stats.record(fromLeaseToDelivered, (s.deliveredMicros - e.getValue()) * 1000);
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("grants", n);
            r.put("offeredRatePerSecond", rate);
            r.put("achievedRatePerSecond", Math.round(n / (elapsed / 1e9)));
            r.put("servedBy", hubsServing);
            r.put("unit", "milliseconds");
            r.put("storedInMainLedgerToStoredInEdgeCopy", Stats.summary(fromMainStored, 1e6));
            r.put("eventAtToStoredInEdgeCopy", Stats.summary(fromEvent, 1e6));
            r.put("agentLeaseToStoredInEdgeCopy", Stats.summary(fromLeaseToStored, 1e6));
            r.put("agentLeaseToDeliveredFromEdgeCopy", Stats.summary(fromLeaseToDelivered, 1e6));
            r.put("storedInEdgeCopyBeforeAgentHadLease", storedBeforeLease);
            r.put("note", "stored = the stream's own timestamp of the message (main's ledger on main's nats-server, the copy on"
                    + " edge's; one machine, one clock); at_epoch_ms has"
                    + " 1 ms resolution; negative lags (copy stored before the agent's reply arrived) count as 0");
            out.results.put("replicationLag", r);
            out.table.add("");
            out.table.add(String.format(Locale.ROOT, "1. replication lag main -> edge's QH_PEER_main, %d grants at %d/s (ms)", n, rate));
            out.table.add(String.format(Locale.ROOT, "%-44s %8s %8s %8s %8s %8s", "", "n", "p50", "p90", "p99", "max"));
            out.table.add(TwoHubReport.msRow("stored in QH_LEDGER_main -> stored in copy", fromMainStored));
            out.table.add(TwoHubReport.msRow("grant event at_epoch_ms -> stored in copy", fromEvent));
            out.table.add(TwoHubReport.msRow("agent got lease -> stored in copy", fromLeaseToStored));
            out.table.add(TwoHubReport.msRow("agent got lease -> delivered from copy", fromLeaseToDelivered));
            out.table.add(String.format(Locale.ROOT, "   (copy stored before the agent had its lease: %d of %d; target p99 < 50 ms)",
                    storedBeforeLease, n));
            edge.closeDispatcher(dispatcher);
            main.closeDispatcher(mainDispatcher);
        }
    }

    private static LedgerBatch parse(Message msg) {
        try {
            return LedgerBatch.parseFrom(msg.getData());
        } catch (IOException e) {
            throw new IllegalStateException("not a ledger batch at " + msg.getSubject(), e);
        }
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    private static long micros(ZonedDateTime t) {
        return micros(t.toInstant());
    }
}
