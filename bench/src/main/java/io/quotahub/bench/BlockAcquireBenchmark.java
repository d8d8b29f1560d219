package io.quotahub.bench;

import io.github.bucket4j.Bucket;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.nats.client.Connection;
import io.quotahub.agent.Block;
import io.quotahub.agent.CallBlocks;
import io.quotahub.agent.QuotaClient;
import io.quotahub.testkit.NatsServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The in-process acquire: a call drawn from a block the SDK holds ({@link CallBlocks#tryAcquire},
 * the real client, its block granted over NATS by an {@link EchoHub} in this JVM), beside the
 * in-process limiters that guard one JVM only: resilience4j's {@code RateLimiter.acquirePermission}
 * (AtomicRateLimiter) and bucket4j's {@code Bucket.tryConsume(1)} (lock-free). Every limiter is set
 * so that it never refuses during a run (the block holds 2^30 calls for an hour; the others allow
 * 10^9 per second), so each op is a permit granted, the fast path of each. docs/benchmarks.md,
 * section 8.
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class BlockAcquireBenchmark {

    /** One nats-server, an echo hub and a client holding one block, for the whole run. */
    @State(Scope.Benchmark)
    public static class Held {
        NatsServer nats;
        Connection hub;
        QuotaClient client;
        CallBlocks blocks;
        Block first;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            nats = NatsServer.start();
            hub = EchoHub.serve(nats.url(), 1 << 30, Duration.ofHours(1).toMillis());
            client = QuotaClient.builder().servers(nats.url()).agentId("bench-blocks").build();
            blocks = client.blocks("bench");
            first = blocks.acquire(1, Duration.ofSeconds(10));
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            Block now = blocks.tryAcquire(1);
            client.close();
            hub.close();
            nats.close();
            if (now != first) {
                throw new IllegalStateException("the run left the first block (" + first + " -> " + now
                        + "): it measured refills, not the fast path");
            }
        }
    }

    /** resilience4j's default limiter, never exhausted in a run. */
    @State(Scope.Benchmark)
    public static class Resilience4j {
        RateLimiter limiter;

        @Setup(Level.Trial)
        public void setUp() {
            limiter = RateLimiter.of("bench", RateLimiterConfig.custom().limitForPeriod(1_000_000_000)
                    .limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build());
        }
    }

    /** bucket4j's default (lock-free) bucket, never empty in a run. */
    @State(Scope.Benchmark)
    public static class Bucket4j {
        Bucket bucket;

        @Setup(Level.Trial)
        public void setUp() {
            bucket = Bucket.builder().addLimit(l -> l.capacity(1_000_000_000_000L)
                    .refillGreedy(1_000_000_000L, Duration.ofSeconds(1))).build();
        }
    }

    @Benchmark
    public Block blockTryAcquire(Held held) {
        return held.blocks.tryAcquire(1);
    }

    @Benchmark
    public boolean resilience4jAcquirePermission(Resilience4j r) {
        return r.limiter.acquirePermission();
    }

    @Benchmark
    public boolean bucket4jTryConsume(Bucket4j b) {
        return b.bucket.tryConsume(1);
    }
}
