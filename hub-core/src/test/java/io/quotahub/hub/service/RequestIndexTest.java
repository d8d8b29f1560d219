package io.quotahub.hub.service;

import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Priority;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class RequestIndexTest {

    private final ManualClock clock = new ManualClock(Instant.ofEpochMilli(1_000_000));
    /** Ids of the leases the engine would still call open. */
    private final java.util.Set<String> open = new java.util.HashSet<>();
    private final RequestIndex index = new RequestIndex(clock, Duration.ofSeconds(60), Duration.ofSeconds(10), open::contains);

    private CompletableFuture<AcquireOutcome> claim(String id, AcquireOutcome outcome) {
        CompletableFuture<AcquireOutcome> f = new CompletableFuture<>();
        assertThat(index.claim("agent", id, f)).isNull();
        if (outcome != null) {
            f.complete(outcome);
        }
        return f;
    }

    private static final AcquireOutcome GRANT = new AcquireOutcome.Leased(null, null);
    private static final AcquireOutcome ERROR = new AcquireOutcome.Failed(ErrorCode.UNAVAILABLE, "x");

    @Test
    void aRetryGetsTheFirstOutcomeUntilItsKeepTimeIsOver() {
        CompletableFuture<AcquireOutcome> first = claim("r1", GRANT);

        assertThat(index.claim("agent", "r1", new CompletableFuture<>())).isSameAs(first);
        assertThat(index.claim("other-agent", "r1", new CompletableFuture<>())).isNull();
    }

    @Test
    void sweep_dropsRefusalsAfterTheShortKeepAndGrantsOnlyAfterTheLongOne() {
        claim("grant", GRANT);
        claim("error", ERROR);
        CompletableFuture<AcquireOutcome> unfinished = claim("unfinished", null);
        clock.advance(Duration.ofMillis(5_000));
        claim("young-error", ERROR);

        clock.advance(Duration.ofMillis(5_001)); // first three are 10.001 s old, the young one 5.001 s
        index.sweep();
        assertThat(index.claim("agent", "error", new CompletableFuture<>())).as("refusal forgotten").isNull();
        assertThat(index.claim("agent", "grant", new CompletableFuture<>())).as("grant kept").isNotNull();
        assertThat(index.claim("agent", "unfinished", new CompletableFuture<>())).isSameAs(unfinished);
        assertThat(index.claim("agent", "young-error", new CompletableFuture<>())).as("not due yet").isNotNull();

        clock.advance(Duration.ofMillis(50_000)); // 60.001 s after the first claims
        index.sweep();
        assertThat(index.claim("agent", "grant", new CompletableFuture<>())).as("grant forgotten").isNull();
        assertThat(index.claim("agent", "unfinished", new CompletableFuture<>())).isNull();
    }

    @Test
    void sweep_forgetsAGrantTheShortKeepAfterItsLeaseWasSeenSettledAndKeepsAnOpenOne() {
        Instant at = clock.instant();
        open.add("l-settled-later");
        CompletableFuture<AcquireOutcome> stillOpen = claim("still-open", granted("still-open", at));
        open.add("l-still-open");
        CompletableFuture<AcquireOutcome> settledGrant = claim("settled", granted("settled", at)); // l-settled is not open
        claim("settled-later", granted("settled-later", at));

        clock.advance(Duration.ofMillis(10_001));
        index.sweep(); // sees l-settled settled: kept 10 s more, for copies of the request still on their way
        assertThat(index.claim("agent", "settled", new CompletableFuture<>())).isSameAs(settledGrant);

        clock.advance(Duration.ofMillis(10_000));
        index.sweep();
        assertThat(index.claim("agent", "settled", new CompletableFuture<>())).as("not due yet").isSameAs(settledGrant);
        clock.advance(Duration.ofMillis(1)); // 10.001 s after the sweep that saw it settled
        index.sweep();
        assertThat(index.claim("agent", "settled", new CompletableFuture<>())).as("settled grant forgotten").isNull();
        assertThat(index.claim("agent", "still-open", new CompletableFuture<>())).isSameAs(stillOpen);

        open.remove("l-settled-later"); // settled after the short keep: kept until the long one
        clock.advance(Duration.ofMillis(39_998)); // 60.000 s
        index.sweep();
        assertThat(index.claim("agent", "settled-later", new CompletableFuture<>())).isNotNull();
        clock.advance(Duration.ofMillis(1));
        index.sweep();
        assertThat(index.claim("agent", "still-open", new CompletableFuture<>())).as("past the long keep").isNull();
    }

    @Test
    void sweep_leavesAnEntryThatReplacedAForgottenOne() {
        claim("r", ERROR);
        index.forget("agent", "r");
        clock.advance(Duration.ofMillis(9_000));
        claim("r", GRANT); // a new attempt with the same id after the first failed
        clock.advance(Duration.ofMillis(2_000));

        index.sweep(); // the first entry is due, the second is not

        assertThat(index.size()).isEqualTo(1);
        assertThat(index.claim("agent", "r", new CompletableFuture<>())).isNotNull();
    }

    // ---- grants replayed from the ledger at start-up -------------------------------------------

    private final ManualClock replayClock = new ManualClock(Instant.parse("2026-12-06T12:00:00Z"));
    private final RequestIndex replayIndex = new RequestIndex(replayClock, Duration.ofSeconds(120), Duration.ofSeconds(10), open::contains);

    private static AcquireOutcome granted(String requestId, Instant at) {
        LeaseRecord lease = new LeaseRecord("l-" + requestId, "main", "p", "k", 1, Priority.NORMAL, "a", requestId, at, at.plusSeconds(60));
        return new AcquireOutcome.Leased(lease, null);
    }

    @Test
    void replayedGrantOlderThanTheKeepTime_isNotRemembered() {
        Instant old = replayClock.instant().minusSeconds(121);
        replayIndex.remember("a", "r-old", granted("r-old", old), old.toEpochMilli());
        assertThat(replayIndex.size()).isZero();
        assertThat(replayIndex.claim("a", "r-old", new CompletableFuture<>())).isNull(); // a new request now
    }

    @Test
    void replayedRecentGrant_answersARetryUntilTheKeepTimePasses() {
        Instant at = replayClock.instant().minusSeconds(30);
        replayIndex.remember("a", "r1", granted("r1", at), at.toEpochMilli());
        CompletableFuture<AcquireOutcome> earlier = replayIndex.claim("a", "r1", new CompletableFuture<>());
        assertThat(earlier).isNotNull();
        assertThat(earlier.join()).isInstanceOf(AcquireOutcome.Leased.class);

        replayClock.advance(Duration.ofSeconds(91));
        replayIndex.sweep();
        assertThat(replayIndex.size()).isZero();
    }

    @Test
    void indexSizeStaysBoundedWhateverTheLedgersAge() {
        Instant start = replayClock.instant().minus(Duration.ofDays(1));
        for (int i = 0; i < 100_000; i++) {
            Instant at = start.plusMillis(i * 864L); // one day of grants, the last ones recent
            replayIndex.remember("a", "r" + i, granted("r" + i, at), at.toEpochMilli());
        }
        // only the last 120 s of grants: 120 000 / 864 ≈ 139
        assertThat(replayIndex.size()).isBetween(130, 150);
    }

    // ---- the hard cap ----------------------------------------------------------------------------

    @Test
    void aFullIndexRefusesNewIdsButStillAnswersRetries_andMakesRoomAsItsEntriesAgeOut() {
        RequestIndex capped = new RequestIndex(clock, Duration.ofSeconds(60), Duration.ofSeconds(10), open::contains, 3);
        List<CompletableFuture<AcquireOutcome>> claimed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CompletableFuture<AcquireOutcome> f = CompletableFuture.completedFuture(ERROR);
            assertThat(capped.claim("agent", "r" + i, f)).isNull();
            claimed.add(f);
        }

        assertThat(capped.claim("agent", "r3", new CompletableFuture<>())).isSameAs(RequestIndex.FULL);
        assertThat(capped.claim("agent", "r1", new CompletableFuture<>())).as("a retry").isSameAs(claimed.get(1));
        assertThat(capped.remember("agent", "replayed", GRANT, clock.millis())).as("no room for a replayed grant").isFalse();
        assertThat(capped.size()).isEqualTo(3);

        capped.forget("agent", "r0");
        assertThat(capped.claim("agent", "r3", new CompletableFuture<>())).isNull();
        assertThat(capped.claim("agent", "r4", new CompletableFuture<>())).isSameAs(RequestIndex.FULL);
        clock.advance(Duration.ofMillis(10_001));
        capped.sweep(); // the errors age out
        assertThat(capped.size()).isEqualTo(1);
        assertThat(capped.claim("agent", "r4", new CompletableFuture<>())).isNull();
        assertThat(capped.size()).isEqualTo(2);
    }

    @Test
    void aReplacedEntryKeepsTheCountAndAnswersLaterRetries() {
        CompletableFuture<AcquireOutcome> first = claim("r", GRANT);
        CompletableFuture<AcquireOutcome> second = new CompletableFuture<>();

        assertThat(index.replace("agent", "r", first, second)).isSameAs(second);
        assertThat(index.replace("agent", "r", first, new CompletableFuture<>())).as("only once").isSameAs(second);
        assertThat(index.replace("agent", "gone", first, new CompletableFuture<>())).isNull();
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.claim("agent", "r", new CompletableFuture<>())).isSameAs(second);
    }

    @Test
    void rememberKeepsAnEntryTheRequestIdAlreadyHas() {
        CompletableFuture<AcquireOutcome> own = claim("r", GRANT);

        assertThat(index.remember("agent", "r", ERROR, clock.millis())).isFalse();

        assertThat(index.claim("agent", "r", new CompletableFuture<>())).isSameAs(own);
    }
}
