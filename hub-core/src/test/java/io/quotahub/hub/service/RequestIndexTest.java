package io.quotahub.hub.service;

import io.quotahub.engine.ManualClock;
import io.quotahub.engine.Lease;
import io.quotahub.engine.Priority;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class RequestIndexTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-06T12:00:00Z"));
    private final RequestIndex index = new RequestIndex(clock, Duration.ofSeconds(120), Duration.ofSeconds(10));

    private AcquireOutcome granted(String requestId, Instant at) {
        Lease lease = new Lease("l-" + requestId, "main", "p", "k", 1, Priority.NORMAL, "a", requestId, at, at.plusSeconds(60));
        return new AcquireOutcome.Granted(lease, null);
    }

    @Test
    void replayedGrantOlderThanTheKeepTime_isNotRemembered() {
        Instant old = clock.instant().minusSeconds(121);
        index.remember("a", "r-old", granted("r-old", old), old.toEpochMilli());
        assertThat(index.size()).isZero();
        assertThat(index.claim("a", "r-old", new CompletableFuture<>())).isNull(); // a new request now
    }

    @Test
    void replayedRecentGrant_answersARetryUntilTheKeepTimePasses() {
        Instant at = clock.instant().minusSeconds(30);
        index.remember("a", "r1", granted("r1", at), at.toEpochMilli());
        CompletableFuture<AcquireOutcome> earlier = index.claim("a", "r1", new CompletableFuture<>());
        assertThat(earlier).isNotNull();
        assertThat(earlier.join()).isInstanceOf(AcquireOutcome.Granted.class);

        clock.advance(Duration.ofSeconds(91));
        index.sweep();
        assertThat(index.size()).isZero();
    }

    @Test
    void indexSizeStaysBoundedWhateverTheLedgersAge() {
        Instant start = clock.instant().minus(Duration.ofDays(1));
        for (int i = 0; i < 100_000; i++) {
            Instant at = start.plusMillis(i * 864L); // one day of grants, the last ones recent
            index.remember("a", "r" + i, granted("r" + i, at), at.toEpochMilli());
        }
        // only the last 120 s of grants: 120 000 / 864 ≈ 139
        assertThat(index.size()).isBetween(130, 150);
    }
}
