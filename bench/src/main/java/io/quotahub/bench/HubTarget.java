package io.quotahub.bench;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StreamState;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real hub-main (separate JVM, production flags, durable JetStream ledger) with pool {@code bench}
 * (one key, {@code requests 1e9 per 1m}, preset PREMIUM) and {@code clients} SDK clients, each with
 * its own NATS connection. {@link #send(long)} is one open-loop acquire: {@code acquireAsync}
 * round-robin over the clients; the future completes when the lease is granted, and the lease is
 * then settled with {@code completeAsync(1)} (durable too), or with the blocking {@code complete(1)}
 * on a pool of settle threads.
 */
final class HubTarget implements AutoCloseable {

    static final String POOL = "bench";

    final HubLaunch hub;
    private final List<QuotaClient> clients = new ArrayList<>();
    private final ExecutorService settlers;
    private final Connection stats;
    private final JetStreamManagement jsm;
    private final Path dir;
    final AtomicLong settled = new AtomicLong();
    final AtomicLong settleFailed = new AtomicLong();
    final AtomicLong settleQueued = new AtomicLong();
    private final Duration maxWait;

    /** The hub and its clients run as the server's production NATS users (hub-main, agent-a). */
    HubTarget(Path hubJar, List<String> jvm, NatsServer nats, int clientCount, int settleThreads, Duration maxWait)
            throws Exception {
        String natsUrl = nats.url();
        this.maxWait = maxWait;
        this.dir = Files.createTempDirectory("qh-bench-tp-");
        this.hub = HubLaunch.oneKeyPool(hubJar, jvm, nats, dir, "");
        for (int i = 0; i < clientCount; i++) {
            clients.add(QuotaClient.builder().servers(natsUrl).agentId("bench-tp-" + i)
                    .userPasswordFile(nats.credentials(NatsServer.AGENT)).build());
        }
        AtomicInteger n = new AtomicInteger();
        this.settlers = Executors.newFixedThreadPool(settleThreads, r -> {
            Thread t = new Thread(r, "bench-settle-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.stats = Nats.connect(new Options.Builder().server(natsUrl).connectionName("bench-stats").build());
        this.jsm = stats.jetStreamManagement();
    }

    /** Settles {@code lease} without blocking: the SDK's {@link Lease#completeAsync}, 1 token used. */
    static CompletableFuture<?> settleAsync(Lease lease) {
        return lease.completeAsync(1);
    }

    static String settleMode(boolean useAsync) {
        return useAsync ? "Lease.completeAsync(1) (non-blocking)" : "blocking complete(1) on a settle thread pool";
    }

    boolean asyncSettle = true;

    CompletableFuture<?> send(long i) {
        CompletableFuture<Lease> f = clients.get((int) (i % clients.size())).acquireAsync(POOL, 1, maxWait);
        f.thenAccept(lease -> {
            settleQueued.incrementAndGet();
            if (asyncSettle) {
                lease.completeAsync(1).whenComplete((v, e) -> {
                    if (e == null) {
                        settled.incrementAndGet();
                    } else {
                        settleFailed.incrementAndGet();
                    }
                    settleQueued.decrementAndGet();
                });
                return;
            }
            settlers.execute(() -> {
                try {
                    lease.complete(1);
                    settled.incrementAndGet();
                } catch (RuntimeException e) {
                    settleFailed.incrementAndGet();
                } finally {
                    settleQueued.decrementAndGet();
                }
            });
        });
        return f;
    }

    /** Waits until the settle backlog is empty (at most {@code within}). */
    void awaitSettles(Duration within) {
        BenchHubs.awaitZero(settleQueued, within);
    }

    /** {messages, bytes} of the hub's ledger stream. */
    long[] ledger() {
        try {
            StreamState s = jsm.getStreamInfo(Subjects.ledgerStream("main")).getStreamState();
            return new long[] {s.getMsgCount(), s.getByteCount()};
        } catch (IOException | io.nats.client.JetStreamApiException e) {
            return new long[] {-1, -1};
        }
    }

    @Override
    public void close() throws Exception {
        settlers.shutdown();
        settlers.awaitTermination(10, TimeUnit.SECONDS);
        for (QuotaClient c : clients) {
            c.close();
        }
        stats.close();
        hub.close();
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
