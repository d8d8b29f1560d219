package io.quotahub.bench;

import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;

import java.time.Duration;
import java.util.Locale;

/**
 * How fast a hub can read its ledger at start-up, by read mode (docs/benchmarks.md section 6):
 * the same {@code --events} (1 000 000, as LedgerBatch messages of 100 events, Scale's format) read
 * to the end and parsed, with (a) an ordered push consumer (what the hub uses), (b) an ordered pull
 * consumer iterated, (c) an ordered pull consumer fetched in batches of {@code --batch} messages.
 * One unreported warm-up read per mode, then {@code --reps} rounds, each starting with another mode.
 *
 * <pre>java -cp bench/target/bench.jar io.quotahub.bench.LedgerReadModes [--events 1000000] [--reps 3] [--batch 1000]</pre>
 */
public final class LedgerReadModes {

    public static void main(String[] args) throws Exception {
        var o = BenchCli.parse("LedgerReadModes", args, "events=1000000", "reps=3", "batch=1000");
        int events = Integer.parseInt(o.getOrDefault("events", "1000000"));
        int reps = Integer.parseInt(o.getOrDefault("reps", "3"));
        int batch = Integer.parseInt(o.getOrDefault("batch", "1000"));
        try (NatsServer nats = NatsServer.start()) {
            try (Connection c = Nats.connect(nats.url())) {
                c.jetStreamManagement().addStream(io.nats.client.api.StreamConfiguration.builder().name(Subjects.ledgerStream("main"))
                        .subjects(Subjects.ledgerSubjects("main")).storageType(io.nats.client.api.StorageType.File).build());
            }
            long[] written = Scale.fillLedger(nats.url(), events);
            System.out.printf(Locale.ROOT, "ledger: %d events in %d messages; load %s%n", written[0], written[1], Stats.loadAverage());
            try (Connection c = Nats.connect(nats.url())) {
                JetStream js = c.jetStream();
                String stream = Subjects.ledgerStream("main");
                String subjects = Subjects.ledgerSubjects("main");
                long last = written[1];
                java.util.List<String> names = java.util.List.of("push ordered (nextMessage)", "pull ordered (iterate)",
                        "pull ordered (fetch " + batch + ")");
                java.util.List<Read> modes = new java.util.ArrayList<>();
                modes.add(() -> {
                        JetStreamSubscription sub = js.subscribe(subjects, PushSubscribeOptions.builder().stream(stream).ordered(true).build());
                        long n = 0;
                        for (long seq = 0; seq < last; ) {
                            Message m = sub.nextMessage(Duration.ofSeconds(10));
                            seq = m.metaData().streamSequence();
                            n += LedgerBatch.parseFrom(m.getData()).getEventsCount();
                        }
                        sub.unsubscribe();
                        return n;
                    });
                modes.add(() -> {
                        OrderedConsumerContext ctx = js.getStreamContext(stream).createOrderedConsumer(new OrderedConsumerConfiguration().filterSubject(subjects));
                        long n = 0;
                        try (IterableConsumer it = ctx.iterate(ConsumeOptions.builder().batchSize(batch).build())) {
                            for (long seq = 0; seq < last; ) {
                                Message m = it.nextMessage(Duration.ofSeconds(10));
                                seq = m.metaData().streamSequence();
                                n += LedgerBatch.parseFrom(m.getData()).getEventsCount();
                            }
                        }
                        return n;
                    });
                modes.add(() -> {
                        OrderedConsumerContext ctx = js.getStreamContext(stream).createOrderedConsumer(new OrderedConsumerConfiguration().filterSubject(subjects));
                        long n = 0;
                        long seq = 0;
                        while (seq < last) {
                            try (FetchConsumer f = ctx.fetch(FetchConsumeOptions.builder().maxMessages(batch).expiresIn(5000).build())) {
                                for (Message m = f.nextMessage(); m != null; m = f.nextMessage()) {
                                    seq = m.metaData().streamSequence();
                                    n += LedgerBatch.parseFrom(m.getData()).getEventsCount();
                                }
                            }
                        }
                        return n;
                    });
                modes.get(0).run(); // warm-up (JIT) of every mode, not reported
                modes.get(1).run();
                modes.get(2).run();
                for (int r = 1; r <= reps; r++) {
                    for (int k = 0; k < modes.size(); k++) {
                        int m = (r + k) % modes.size(); // a different mode goes first each round
                        report(names.get(m), r, last, modes.get(m));
                    }
                }
            }
        }
    }

    interface Read {
        long run() throws Exception;
    }

    private static void report(String mode, int rep, long messages, Read read) throws Exception {
        String load = Stats.loadAverage();
        long t0 = System.nanoTime();
        long n = read.run();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "rep %d %-28s %d messages, %d events in %.2f s (%.0f events/s); load %s%n",
                rep, mode, messages, n, s, n / s, load);
    }
}
