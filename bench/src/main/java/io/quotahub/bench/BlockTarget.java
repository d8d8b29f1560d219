package io.quotahub.bench;

import io.quotahub.agent.Block;
import io.quotahub.agent.CallBlocks;
import io.quotahub.agent.QuotaClient;
import io.quotahub.testkit.NatsServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real hub-main (separate JVM, production flags, durable ledger) with pool {@code bench} of
 * {@code blocks: {max-calls, expiry: 2s}} and one key of {@code requests 1e9 per 1m}, and one SDK
 * client. {@link #send(long)} is one call: {@code CallBlocks.tryAcquire(1)} (the in-process fast
 * path), or, when the client holds no block with room, {@code acquire(1, 2 s)} on a waiting thread.
 * Counts the calls served in-process and samples the blocks seen (one call in 64 notes its block).
 */
final class BlockTarget implements AutoCloseable {

    final HubLaunch hub;
    private final QuotaClient client;
    private final CallBlocks blocks;
    private final ExecutorService waiters;
    private final Path dir;
    private final AtomicLong fast = new AtomicLong();
    private final AtomicLong slow = new AtomicLong();
    private final Set<String> grants = ConcurrentHashMap.newKeySet();
    private static final CompletableFuture<Object> SERVED = CompletableFuture.completedFuture(null);

    BlockTarget(Path hubJar, NatsServer nats, int maxCalls) throws Exception {
        this.dir = Files.createTempDirectory("qh-bench-blocks-");
        this.hub = HubLaunch.oneKeyPool(hubJar, HubLaunch.PROD_JVM, nats, dir,
                "blocks: { max-calls: %d, expiry: 2s }".formatted(maxCalls));
        this.client = QuotaClient.builder().servers(nats.url()).agentId("bench-blocks")
                .userPasswordFile(nats.credentials(NatsServer.AGENT)).build();
        this.blocks = client.blocks(HubTarget.POOL);
        this.waiters = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-block-wait");
            t.setDaemon(true);
            return t;
        });
    }

    /** A send that does nothing: the generator's own floor (its wake-up lateness). */
    static CompletableFuture<?> nothing(long i) {
        return SERVED;
    }

    CompletableFuture<?> send(long i) {
        Block b = blocks.tryAcquire(1);
        if (b != null) {
            b.callCompleted(); // the call "is made" at once: a used-up block settles now, as an agent's would
            fast.incrementAndGet();
            if (i % 64 == 0) {
                grants.add(b.leaseId());
            }
            return SERVED;
        }
        slow.incrementAndGet();
        return CompletableFuture.supplyAsync(() -> {
            Block waited = blocks.acquire(1, Duration.ofSeconds(2));
            waited.callCompleted();
            return grants.add(waited.leaseId());
        }, waiters);
    }

    /** Starts counting afresh (before a phase). */
    void reset() {
        fast.set(0);
        slow.set(0);
        grants.clear();
    }

    /** The share of calls since {@link #reset()} served from a block in-process. */
    double servedInProcess() {
        return fast.get() / (double) Math.max(1, fast.get() + slow.get());
    }

    /** Blocks seen since {@link #reset()} (sampled: a lower bound), per second of {@code seconds}. */
    double blocksSeenPerSec(double seconds) {
        return grants.size() / seconds;
    }

    /** The hub's and nats-server's pids, for the CPU they use over a phase. */
    Map<String, Long> pids(NatsServer nats) {
        Map<String, Long> pids = new LinkedHashMap<>();
        pids.put("hub", hub.pid());
        pids.put("nats-server", nats.pid());
        return pids;
    }

    @Override
    public void close() throws Exception {
        waiters.shutdownNow();
        client.close();
        hub.close();
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
