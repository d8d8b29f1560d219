package io.quotahub.hub.service;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Refusal;
import io.quotahub.engine.RefusalCode;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.ledger.InMemoryLedger;
import io.quotahub.hub.replication.DemandCounter;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The waiting acquire on an injected clock and timer: it waits out refusals that time or a settle
 * cures, keeps its request id's meaning for the whole wait, and ends at once on shutdown or fencing.
 */
class WaitingAcquireTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T12:00:00Z"));
    private final ManualTimer timer = new ManualTimer();
    private final HubLedger ledger = new HubLedger();
    private final InMemoryLedger memory = new InMemoryLedger();
    private QuotaEngine engine;
    private AcquireService service;
    private SettleService settle;
    private WaitingAcquire waiting;

    /** Pool "window": 1 request per 10 s. Pool "one": one open lease per agent, no window worth naming. */
    private void start(Duration maxWait) {
        PoolSpec window = new PoolSpec("window", List.of(new KeySpec("w1", List.of(LimitSpec.requests(1, Duration.ofSeconds(10))), 0)),
                List.of(), 0, Preset.PREMIUM, new PoolPolicy(0, 0, 0, List.of()));
        PoolSpec one = new PoolSpec("one", List.of(new KeySpec("o1", List.of(LimitSpec.requests(1000, Duration.ofMinutes(1))), 0)),
                List.of(), 0, Preset.PREMIUM, new PoolPolicy(0, 1, 0, List.of()));
        PoolsConfig pools = new PoolsConfig(List.of(window, one), Map.of(new KeyRef("window", "w1"), new Secret("sk-wait-0001"),
                new KeyRef("one", "o1"), new Secret("sk-wait-0002")), List.of(), Set.of());
        engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(window, one)).budgetShares(Map.of("main", 1.0)).build(),
                clock, null);
        ledger.open(memory);
        RequestIndex requests = new RequestIndex(clock, Duration.ofMinutes(2), Duration.ofSeconds(10), id -> engine.openLease(id).isPresent());
        service = new AcquireService(engine, ledger, pools, requests, clock, new DemandCounter(), Duration.ofSeconds(2));
        settle = new SettleService(engine, ledger, clock, "main", Duration.ofSeconds(2));
        waiting = new WaitingAcquire(service, ledger, timer, clock, maxWait, () -> 0.5);
    }

    private static AcquireCommand cmd(String pool, String agent, String requestId) {
        return new AcquireCommand(requestId, agent, pool, 1, Priority.NORMAL, null);
    }

    /** Takes pool window's one request of these 10 s and settles it (an open lease would count until it expires). */
    private void fillTheWindow() {
        AcquireOutcome.Leased g = (AcquireOutcome.Leased) service.acquire(cmd("window", "a", "first")).join();
        settled(g);
    }

    private void settled(AcquireOutcome.Leased g) {
        SettleOutcome done = settle.settle(new SettleCommand("s-" + g.lease().leaseId(), g.lease().leaseId(), g.lease().agentId(), 1,
                Outcome.OK, Duration.ZERO, null, null, g.leaseSecret().reveal(), Principals.NONE)).join();
        assertThat(done).isInstanceOf(SettleOutcome.Settled.class);
    }

    @Test
    void aRefusalWhoseWindowFreesWithinTheWait_isGrantedThen_underTheSameRequestId() {
        start(Duration.ofSeconds(30));
        fillTheWindow();

        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("window", "b", "r-1"), Duration.ofSeconds(15));
        assertThat(waited).isNotDone();
        assertThat(waiting.waiting()).isEqualTo(1);

        timer.advance(clock, Duration.ofSeconds(12));

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Leased g && g.leaseSecret() != null);
        String leaseId = ((AcquireOutcome.Leased) waited.join()).lease().leaseId();
        // a retry of the request id after the wait (its reply was lost) gets the same lease, not a second one
        AcquireOutcome retried = service.acquire(cmd("window", "b", "r-1")).join();
        assertThat(retried).isInstanceOfSatisfying(AcquireOutcome.Leased.class, g -> assertThat(g.lease().leaseId()).isEqualTo(leaseId));
        assertThat(waiting.waiting()).isZero();
    }

    @Test
    void aRetryOfTheSameRequestIdWhileItWaits_getsTheSameFinalAnswer() {
        start(Duration.ofSeconds(30));
        fillTheWindow();

        CompletableFuture<AcquireOutcome> first = waiting.acquire(cmd("window", "b", "r-2"), Duration.ofSeconds(15));
        timer.advance(clock, SECOND);
        CompletableFuture<AcquireOutcome> retry = waiting.acquire(cmd("window", "b", "r-2"), Duration.ofSeconds(15));
        timer.advance(clock, Duration.ofSeconds(11));

        assertThat(retry.join()).isSameAs(first.join()).isInstanceOf(AcquireOutcome.Leased.class);
        assertThat(engine.view().openLeases()).isEqualTo(1);
    }

    @Test
    void aRetryFromAnotherPrincipal_doesNotJoinTheWait() {
        start(Duration.ofSeconds(30));
        fillTheWindow();
        CompletableFuture<AcquireOutcome> first = waiting.acquire(
                new AcquireCommand("r-3", "b", "window", 1, Priority.NORMAL, null, "token:agents"), Duration.ofSeconds(15));

        CompletableFuture<AcquireOutcome> other = waiting.acquire(
                new AcquireCommand("r-3", "b", "window", 1, Priority.NORMAL, null, "token:other"), Duration.ofSeconds(15));

        assertThat(other).isNotSameAs(first);
        assertThat(other.join()).isInstanceOf(AcquireOutcome.Refused.class);
    }

    @Test
    void aRetryAfterLongerThanTheWait_isAnsweredAtOnce_whenOnlyTimeCuresIt() {
        start(Duration.ofSeconds(30));
        Refusal burst = new Refusal(RefusalCode.BURST, "window", "w1", null, Duration.ofSeconds(10), "test");
        Refusal budget = new Refusal(RefusalCode.BUDGET_EXHAUSTED, "window", "w1", null, Duration.ofMillis(10), "test");

        assertThat(waiting.nextTryIn(new AcquireOutcome.Refused(burst), 2_000)).isEqualTo(-1);
        assertThat(waiting.nextTryIn(new AcquireOutcome.Refused(burst), 20_000)).isEqualTo(10_500);
        assertThat(waiting.nextTryIn(new AcquireOutcome.Refused(budget), 20_000)).isEqualTo(-1);
    }

    @Test
    void aWaitLongerThanTheBound_isClampedToIt() {
        start(Duration.ofSeconds(5));
        fillTheWindow();

        assertThat(waiting.clamp(Duration.ofMinutes(1))).isEqualTo(Duration.ofSeconds(5));
        assertThat(waiting.clamp(Duration.ofMillis(-3))).isEqualTo(Duration.ZERO);
        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("window", "b", "r-5"), Duration.ofMinutes(1));
        timer.advance(clock, Duration.ofMillis(4900));
        assertThat(waited).isNotDone();
        timer.advance(clock, Duration.ofMillis(200));
        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Refused);
    }

    @Test
    void aFullWindowHeldByAnOpenLease_isGrantedSoonAfterThatLeaseSettles() {
        start(Duration.ofSeconds(30));
        AcquireOutcome.Leased open = (AcquireOutcome.Leased) service.acquire(cmd("window", "a", "open")).join();

        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("window", "b", "r-11"), Duration.ofSeconds(15));
        assertThat(waited).isNotDone(); // its retry-after is the open lease's expiry (1 min), yet it waits
        timer.advance(clock, Duration.ofSeconds(2));
        settled(open);
        timer.advance(clock, Duration.ofSeconds(11)); // a settled call counts for a window after its settle (plus the margin)

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Leased);
    }

    @Test
    void anAgentHoldingItsShare_isGrantedAsSoonAsItsLeaseSettles() {
        start(Duration.ofSeconds(30));
        AcquireOutcome.Leased held = (AcquireOutcome.Leased) service.acquire(cmd("one", "a", "held")).join();

        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("one", "a", "r-6"), Duration.ofSeconds(10));
        timer.advance(clock, SECOND);
        assertThat(waited).isNotDone();
        settled(held);
        timer.advance(clock, Duration.ofMillis(300));

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Leased);
    }

    @Test
    void aWaitThatIsSpent_answersTheLastRefusal() {
        start(Duration.ofSeconds(30));
        service.acquire(cmd("one", "a", "held")).join();

        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("one", "a", "r-7"), Duration.ofSeconds(2));
        timer.advance(clock, Duration.ofMillis(1900));
        assertThat(waited).isNotDone();
        timer.advance(clock, Duration.ofMillis(200));

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Refused r
                && r.refusal().code() == RefusalCode.AGENT_LIMIT);
        assertThat(timer.pending()).isZero();
    }

    @Test
    void shutdown_answersEveryWaitUnavailableAtOnce_andTakesNoNewOne() {
        start(Duration.ofSeconds(30));
        fillTheWindow();
        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("window", "b", "r-8"), Duration.ofSeconds(15));

        waiting.close();

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Failed f && f.code() == ErrorCode.UNAVAILABLE);
        assertThat(waiting.acquire(cmd("window", "c", "r-9"), SECOND)).isCompletedWithValueMatching(
                o -> o instanceof AcquireOutcome.Failed f && f.code() == ErrorCode.UNAVAILABLE);
        assertThat(timer.cancelled).isTrue();
    }

    @Test
    void fencing_answersEveryWaitFencedAtOnce() {
        start(Duration.ofSeconds(30));
        fillTheWindow();
        CompletableFuture<AcquireOutcome> waited = waiting.acquire(cmd("window", "b", "r-10"), Duration.ofSeconds(15));
        waiting.failIfFenced();
        assertThat(waited).isNotDone();

        memory.fence("edge", memory.lastSeq());
        waiting.failIfFenced();

        assertThat(waited).isCompletedWithValueMatching(o -> o instanceof AcquireOutcome.Failed f && f.code() == ErrorCode.FENCED);
        assertThat(timer.pending()).isZero();
    }

    @Test
    void onlyRefusalsThatTimeOrASettleCures_areWaitedFor() {
        start(Duration.ofSeconds(30));
        List<RefusalCode> waited = new ArrayList<>();
        for (RefusalCode code : RefusalCode.values()) {
            Refusal refusal = new Refusal(code, "window", "w1", null, Duration.ofMillis(100), "test");
            if (waiting.nextTryIn(new AcquireOutcome.Refused(refusal), 5_000) >= 0) {
                waited.add(code);
            }
        }
        assertThat(waited).containsExactlyInAnyOrder(RefusalCode.QUOTA_EXHAUSTED, RefusalCode.CONCURRENCY, RefusalCode.BURST,
                RefusalCode.THROTTLED, RefusalCode.SHED, RefusalCode.COOLDOWN, RefusalCode.CIRCUIT_OPEN, RefusalCode.AGENT_LIMIT);
        // jitter: random 0.5 adds 5 % of the retry-after
        Refusal cooldown = new Refusal(RefusalCode.COOLDOWN, "window", "w1", null, Duration.ofSeconds(2), "test");
        assertThat(waiting.nextTryIn(new AcquireOutcome.Refused(cooldown), 5_000)).isEqualTo(2_100);
        Refusal concurrency = new Refusal(RefusalCode.CONCURRENCY, "window", "w1", null, Duration.ofSeconds(60), "test");
        assertThat(waiting.nextTryIn(new AcquireOutcome.Refused(concurrency), 5_000)).isEqualTo(262);
    }
}
