package io.quotahub.agent.internal;

import io.quotahub.agent.Block;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.proto.Outcome;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The blocks a client holds, on a fake ticker with a fake hub (no NATS, no sleeps): calls drawn
 * in-process, refills ahead of need, never past the block's end of use as the client counts it,
 * settled with what was drawn.
 */
class BlockSupplyTest {

    private static final long MS = 1_000_000L;

    /** Time only moves when a test says so; timers run when it passes them. */
    static final class FakeTime implements Ticker {
        long now = 1_000 * MS;
        final List<long[]> due = new ArrayList<>();
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public long nanos() {
            return now;
        }

        void advance(long nanos) {
            now += nanos;
            for (int i = 0; i < tasks.size(); i++) {
                if (due.get(i)[0] <= now) {
                    Runnable r = tasks.remove(i);
                    due.remove(i);
                    i--;
                    r.run();
                }
            }
        }
    }

    record Asked(long tokensPerCall, int calls, Duration maxWait, CompletableFuture<HeldBlock.Grant> answer, long at) {
    }

    record Settled(String leaseId, Outcome outcome, long tokens, int calls, long retryAfterMs) {
    }

    final class FakeHub implements BlockSupply.Hub {
        final List<Asked> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Settled> settled = new java.util.concurrent.CopyOnWriteArrayList<>();
        int leases;

        @Override
        public CompletableFuture<HeldBlock.Grant> request(String pool, long tokensPerCall, int calls, Duration maxWait) {
            Asked a = new Asked(tokensPerCall, calls, maxWait, new CompletableFuture<>(), time.now);
            asked.add(a);
            return a.answer();
        }

        @Override
        public CompletableFuture<Void> settle(HeldBlock.Grant grant, Outcome outcome, long tokensUsed, int callsUsed,
                long retryAfterMs) {
            settled.add(new Settled(grant.leaseId(), outcome, tokensUsed, callsUsed, retryAfterMs));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void schedule(Runnable task, long delayNanos) {
            time.due.add(new long[] {time.now + delayNanos});
            time.tasks.add(task);
        }

        /** Grants the last request: {@code calls} calls for {@code lifeMs}, counted from when it was asked. */
        HeldBlock.Grant grant(int calls, long lifeMs) {
            Asked a = asked.get(asked.size() - 1);
            HeldBlock.Grant g = new HeldBlock.Grant("demo", "lease-" + (++leases), "main", "k1", "sk-test", calls,
                    a.tokensPerCall() * calls, lifeMs * MS, a.at(), true, null);
            a.answer().complete(g);
            return g;
        }
    }

    final FakeTime time = new FakeTime();
    final FakeHub hub = new FakeHub();
    final BlockSupply blocks = new BlockSupply("demo", time, hub);

    @Test
    void aFirstCallFindsNoBlock_asksForOne_andTheCallsAfterTheGrantDrawOnItWithoutAskingAgain() {
        assertThat(blocks.tryAcquire(10)).isNull();
        assertThat(hub.asked).hasSize(1);
        assertThat(hub.asked.get(0).calls()).isEqualTo(BlockSizer.FIRST_ASK);
        assertThat(hub.asked.get(0).tokensPerCall()).isEqualTo(10);
        hub.grant(8, 2_000);

        Block first = blocks.tryAcquire(10);
        for (int i = 0; i < 6; i++) {
            assertThat(blocks.tryAcquire(10)).isSameAs(first);
        }
        assertThat(first.apiKey()).isEqualTo("sk-test");
        assertThat(hub.asked).hasSize(1);

        assertThat(blocks.tryAcquire(10)).isSameAs(first);
        assertThat(blocks.current().left()).isZero();
        assertThat(hub.asked).hasSize(2); // the last call drawn: the next block is asked for now, before a call needs it
    }

    @Test
    void aSlowAgent_asksForTheNextBlockOnlyWhenItsLastCallIsDrawn_andHoldsNoSpare() {
        blocks.tryAcquire(1);
        hub.grant(8, 2_000);
        for (int i = 0; i < 8; i++) { // 5 calls a second: a call every 200 ms
            time.advance(i == 0 ? 0 : 200 * MS);
            blocks.tryAcquire(1);
        }
        assertThat(hub.asked).hasSize(2);
        hub.grant(4, 2_000);
        assertThat(blocks.spare()).isNull(); // the first was used up: the new one is the current one

        for (int i = 0; i < 3; i++) {
            assertThat(blocks.tryAcquire(1)).isNotNull();
            time.advance(200 * MS);
            assertThat(blocks.spare()).isNull();
        }
        assertThat(hub.asked).hasSize(2); // 1 left lasts 200 ms, far more than the lead: nothing held ahead
        blocks.tryAcquire(1);
        assertThat(hub.asked).hasSize(3);
    }

    @Test
    void aFastAgent_asksForTheNextWhenItsCallsLeftLastOnlyTheLead_andHoldsThatOneAsASpare() {
        blocks.tryAcquire(1);
        hub.grant(8, 2_000);
        for (int i = 0; i < 8; i++) { // 100 calls a second
            time.advance(i == 0 ? 0 : 10 * MS);
            blocks.tryAcquire(1);
        }
        Block first = blocks.current();
        hub.grant(20, 2_000); // at once: the round trip is 0 here
        time.advance(10 * MS);
        Block second = blocks.tryAcquire(1);
        assertThat(second).isNotSameAs(first);
        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 8, 8, 0));

        for (int i = 1; i < 17; i++) {
            time.advance(10 * MS);
            blocks.tryAcquire(1);
        }
        assertThat(hub.asked).hasSize(2);
        time.advance(10 * MS);
        blocks.tryAcquire(1);
        // 2 left: at ~100 calls/s they last 20 ms, the least lead
        assertThat(hub.asked).hasSize(3);
        hub.grant(20, 2_000);
        assertThat(blocks.spare()).isNotNull();

        assertThat(blocks.tryAcquire(1)).isSameAs(second);
        assertThat(blocks.tryAcquire(1)).isSameAs(second);
        assertThat(blocks.tryAcquire(1)).isNotNull().isNotSameAs(second);
        assertThat(hub.settled).extracting(Settled::leaseId).containsExactly("lease-1", "lease-2");
    }

    @Test
    void aBlockOfOneCall_asksForNoneAheadOfNeed() {
        blocks.tryAcquire(1);
        hub.grant(1, 2_000); // max-calls 1, or a hot key: the hubs had no more to spare

        assertThat(blocks.tryAcquire(1)).isNotNull();

        assertThat(hub.asked).hasSize(1);
        assertThat(blocks.tryAcquire(1)).isNull(); // the next call asks, and waits one round trip
        assertThat(hub.asked).hasSize(2);
    }

    @Test
    void aUsedUpBlockIsSettledAsSoonAsItsLastCallCompleted_notAtTheNextCall() {
        blocks.tryAcquire(1);
        hub.grant(3, 2_000);
        Block b = blocks.tryAcquire(1);
        blocks.tryAcquire(1);
        b.callCompleted();
        b.callCompleted();
        assertThat(hub.settled).isEmpty(); // a call left to draw

        assertThat(blocks.tryAcquire(1)).isSameAs(b);
        assertThat(hub.settled).isEmpty(); // its last call is still in flight: its outcome may be a 429
        b.callCompleted();

        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 3, 3, 0));
        assertThat(blocks.current()).isNull();
        b.callCompleted(); // a completion too many changes nothing
        assertThat(hub.settled).hasSize(1);
    }

    @Test
    void aCallThatCompletesLate_stillReportsItsOutcomeInTheSettle() {
        blocks.tryAcquire(1);
        hub.grant(2, 2_000);
        Block b = blocks.tryAcquire(1);
        blocks.tryAcquire(1);
        b.callCompleted();

        b.failed();
        b.callCompleted();

        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 2, 2, 0));
        blocks.tryAcquire(1);
        hub.grant(2, 2_000);
        Block c = blocks.tryAcquire(1);
        c.callCompleted();
        blocks.tryAcquire(1);
        c.rateLimited(Duration.ofSeconds(3)); // the last call's 429, before it completed
        assertThat(hub.settled).last().isEqualTo(new Settled("lease-2", Outcome.RATE_LIMITED, 2, 2, 3_000));
    }

    @Test
    void aShortBlock_keepsASafetyMarginInProportionToItsLife() {
        assertThat(HeldBlock.margin(2_000 * MS)).isEqualTo(100 * MS + 100 * MS);
        assertThat(HeldBlock.margin(1_000 * MS)).isEqualTo(100 * MS + 50 * MS);
        assertThat(HeldBlock.margin(250 * MS)).isEqualTo(25 * MS + 12_500_000L); // usable for 212.5 of its 250 ms

        blocks.tryAcquire(1);
        hub.grant(5, 250);
        time.now += 212 * MS;
        assertThat(blocks.tryAcquire(1)).isNotNull();
        time.now += MS;
        assertThat(blocks.tryAcquire(1)).isNull();
    }

    @Test
    void aBlockIsNeverUsedPastItsLifeCountedFromWhenTheRequestWasSent_lessTheSafetyMargin() {
        blocks.tryAcquire(1);
        time.advance(1_500 * MS); // the grant takes 1.5 s to come back: 0.5 s of its 2 s are left
        hub.grant(100, 2_000);
        long margin = HeldBlock.MARGIN_NANOS + 2_000 * MS / 20;
        long usableFor = 500 * MS - margin;

        time.now += usableFor - 1;
        assertThat(blocks.tryAcquire(1)).isNotNull();
        time.now += 1;

        assertThat(blocks.tryAcquire(1)).isNull();
        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 1, 1, 0));
    }

    @Test
    void anIdleBlockIsSettledByItsTimerAtItsEndOfUse_withTheCallsDrawn() {
        blocks.tryAcquire(5);
        hub.grant(10, 2_000);
        blocks.tryAcquire(5);
        blocks.tryAcquire(5);

        time.advance(2_000 * MS);

        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 10, 2, 0));
        assertThat(blocks.current()).isNull();
    }

    @Test
    void a429EndsTheBlockAtOnce_andItsSettleCarriesTheRetryAfterAndTheCallsMade() {
        blocks.tryAcquire(1);
        hub.grant(10, 2_000);
        Block b = blocks.tryAcquire(1);
        blocks.tryAcquire(1);
        blocks.tryAcquire(1);

        b.rateLimited(Duration.ofSeconds(7));

        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.RATE_LIMITED, 3, 3, 7_000));
        assertThat(blocks.tryAcquire(1)).isNull(); // no call draws on it after the 429
    }

    @Test
    void failures_makeTheBlockSettleAsErrorOnlyWhenMostOfItsCallsFailed() {
        blocks.tryAcquire(1);
        hub.grant(4, 2_000);
        Block b = blocks.tryAcquire(1);
        blocks.tryAcquire(1);
        blocks.tryAcquire(1);
        b.failed();

        blocks.close();

        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 3, 3, 0));
        HeldBlock errors = new HeldBlock(blocks, new HeldBlock.Grant("demo", "x", "main", "k", "s", 3, 3, 2_000 * MS, time.now, true, null));
        errors.draw(1, time.now);
        errors.draw(1, time.now);
        errors.failed();
        errors.failed();
        assertThat(errors.outcome(errors.end())).isEqualTo(Outcome.ERROR);
    }

    @Test
    void tokens_areDrawnPerCall_correctedByTheCallsReports_andACallThatDoesNotFitEndsTheBlock() {
        blocks.tryAcquire(100);
        hub.grant(4, 2_000); // 400 tokens
        Block b = blocks.tryAcquire(100);
        b.tokensUsed(100, 40);
        assertThat(blocks.tryAcquire(250)).isSameAs(b); // 300 left

        assertThat(blocks.tryAcquire(100)).isNull(); // 50 tokens left: too few for the call

        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 40 + 250, 2, 0));
    }

    @Test
    void theBlockSize_followsTheRecentRate() {
        blocks.tryAcquire(1);
        hub.grant(8, 2_000);
        for (int i = 0; i < 8; i++) { // 100 calls a second
            time.advance(10 * MS);
            blocks.tryAcquire(1);
        }

        // 8 calls in 80 ms since the first ask: 100/s x 2 s x 1.25
        assertThat(hub.asked.get(1).calls()).isBetween(250, 300);
        assertThat(hub.asked.get(1).maxWait()).isZero(); // a background refill: one attempt
    }

    @Test
    void aRefusedRefill_waitsOutTheRetryAfterBeforeTheNextBackgroundAsk() {
        blocks.tryAcquire(1);
        hub.asked.get(0).answer().completeExceptionally(new QuotaExhaustedException("QUOTA_EXHAUSTED", "full",
                Duration.ofMillis(300), "demo", "k1", "requests 10/PT1S"));

        time.advance(299 * MS);
        assertThat(blocks.tryAcquire(1)).isNull();
        assertThat(hub.asked).hasSize(1);
        time.advance(1 * MS);
        assertThat(blocks.tryAcquire(1)).isNull();
        assertThat(hub.asked).hasSize(2);
    }

    @Test
    void close_settlesTheHeldBlocksWithWhatWasDrawn_andABlockGrantedAfterIsSettledUnused() {
        blocks.tryAcquire(1);
        hub.grant(8, 2_000);
        blocks.tryAcquire(1);
        blocks.tryAcquire(1);

        blocks.close();
        assertThatThrownBy(() -> blocks.tryAcquire(1)).isInstanceOf(IllegalStateException.class);
        assertThat(hub.settled).containsExactly(new Settled("lease-1", Outcome.OK, 2, 2, 0));
    }

    @Test
    void acquire_waitsForTheBlockItAskedFor_andFailsWithTheRefusalWhenNoneCame() {
        CompletableFuture<Block> waiting = CompletableFuture.supplyAsync(() -> blocks.acquire(3, Duration.ofSeconds(1)));
        org.awaitility.Awaitility.await().until(() -> hub.asked.size() == 1);
        // the background ask (one attempt) is refused: the caller asks again, waiting what it may
        hub.asked.get(0).answer().completeExceptionally(new QuotaExhaustedException("QUOTA_EXHAUSTED", "full",
                Duration.ofMillis(300), "demo", "k1", "requests 10/PT1S"));
        org.awaitility.Awaitility.await().until(() -> hub.asked.size() == 2);
        assertThat(hub.asked.get(1).maxWait()).isEqualTo(Duration.ofSeconds(1));
        hub.grant(5, 2_000);
        assertThat(waiting.join().keyId()).isEqualTo("k1");

        BlockSupply other = new BlockSupply("demo", time, hub);
        CompletableFuture<Block> refused = CompletableFuture.supplyAsync(() -> other.acquire(3, Duration.ZERO));
        org.awaitility.Awaitility.await().until(() -> hub.asked.size() == 3);
        hub.asked.get(2).answer().completeExceptionally(new QuotaExhaustedException("QUOTA_EXHAUSTED", "full",
                Duration.ofMillis(300), "demo", "k1", "requests 10/PT1S"));
        assertThatThrownBy(refused::join).hasCauseInstanceOf(QuotaExhaustedException.class);
    }

    @Test
    void badArguments_areRefusedAtOnce() {
        assertThatThrownBy(() -> blocks.tryAcquire(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> blocks.acquire(1, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(hub.asked).isEmpty();
    }
}
