package io.quotahub.bench;

import io.quotahub.hub.service.LeaseSecret;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What lease secrets add to the hot path, one thread: {@link #issue} is what every grant adds (128
 * random bits from the platform's strong source, base64url, and their SHA-256 digest), {@link #check}
 * what every settle adds (the presented secret's digest compared in constant time with the lease's).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LeaseSecretBenchmark {

    private String secret;
    private String digest;

    @Setup
    public void setUp() {
        LeaseSecret s = LeaseSecret.issue();
        secret = s.reveal();
        digest = s.digest();
    }

    @Benchmark
    public String issue() {
        return LeaseSecret.issue().digest();
    }

    @Benchmark
    public boolean check() {
        return LeaseSecret.matches(secret, digest);
    }
}
