package io.quotahub.agent.internal;

import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Granted;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Refused;
import io.quotahub.proto.Subjects;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acquire's decisions on fake time, with no NATS and no thread: each test feeds events with a
 * time and checks what the machine asks its driver to do.
 */
class AcquireMachineTest {

    private static final long MS = 1_000_000L;
    private static final Route QUEUE = Route.queue(Subjects.ACQUIRE);
    private static final Route MAIN = Route.direct(Subjects.hubAcquire("main"), "main");
    private static final Route EDGE = Route.direct(Subjects.hubAcquire("edge"), "edge");

    private long now = 1_000 * MS;
    private final HubRouter router = new HubRouter(() -> now);
    /** Jitter draws 0: every wait is its base. */
    private final RetryPolicy retry = new RetryPolicy(new Jitter(() -> 0.0));
    private final Recorder out = new Recorder();
    private final AtomicInteger ids = new AtomicInteger();

    /** What the machine asked for, in order. */
    private static final class Recorder implements AcquireMachine.Out {
        final List<String> actions = new ArrayList<>();
        final List<AcquireRequest> sent = new ArrayList<>();
        final List<Long> timeouts = new ArrayList<>();
        RuntimeException stop;
        boolean slotsFree = true;
        RuntimeException ended;
        AcquireReply granted;

        @Override
        public RuntimeException stopReason() {
            return stop;
        }

        @Override
        public void send(Route route, AcquireRequest request, long timeoutNanos) {
            actions.add("send " + route.subject() + " " + request.getRequestId());
            sent.add(request);
            timeouts.add(timeoutNanos);
        }

        @Override
        public boolean takeSlot() {
            actions.add(slotsFree ? "slot" : "queue for slot");
            return slotsFree;
        }

        @Override
        public void releaseSlot(boolean overloaded) {
            actions.add("release slot" + (overloaded ? " overloaded" : ""));
        }

        @Override
        public void giveBackSlot() {
            actions.add("give back slot");
        }

        @Override
        public int slotLimit() {
            return 7;
        }

        @Override
        public void wakeAfter(long nanos) {
            actions.add("wait " + nanos / MS + " ms");
        }

        @Override
        public void granted(AcquireReply reply) {
            actions.add("granted " + reply.getGranted().getLeaseId());
            granted = reply;
        }

        @Override
        public void ended(RuntimeException why) {
            actions.add("ended");
            ended = why;
        }

        @Override
        public void lateGrant(AcquireReply reply) {
            actions.add("late grant " + reply.getGranted().getLeaseId());
        }

        String last() {
            return actions.get(actions.size() - 1);
        }
    }

    private AcquireMachine machine(Duration maxWait) {
        return new AcquireMachine(out, router, retry, ClientMetrics.NOOP, () -> "r" + ids.incrementAndGet(), "agent-1",
                "demo", 5, Priority.NORMAL, maxWait, Duration.ofMillis(750), now, () -> 1_000_000L);
    }

    private static AcquireReply grant(String hub, String leaseId) {
        return AcquireReply.newBuilder().setHubId(hub).setGranted(Granted.newBuilder().setLeaseId(leaseId)).build();
    }

    private static AcquireReply refusal(String hub, String code, long retryAfterMs) {
        return AcquireReply.newBuilder().setHubId(hub)
                .setRefused(Refused.newBuilder().setRefusalCode(Refused.Code.valueOf(code)).setRetryAfterMs(retryAfterMs).setReason("full")).build();
    }

    private static AcquireReply error(String hub, String code) {
        return AcquireReply.newBuilder().setHubId(hub).setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.valueOf(code)).setMessage("no")).build();
    }

    @Test
    void start_sendsHowLongTheCallerWaits_andNoFallbackOnlyWhenAskedTo() {
        machine(Duration.ofSeconds(5)).start(now);
        AcquireMachine optedOut = machine(Duration.ZERO);
        optedOut.fallback(false);
        optedOut.start(now);

        assertThat(out.sent.get(0).getWaitUntilEpochMs()).isEqualTo(1_005_000L);
        assertThat(out.sent.get(0).getNoFallback()).isFalse();
        assertThat(out.sent.get(1).getNoFallback()).isTrue();
        assertThat(out.sent.get(1).getWaitUntilEpochMs()).as("a caller that does not wait says so").isZero();
    }

    @Test
    void start_sendsOnTheQueueWithTheRequestTimeoutAndAnAbsoluteDeadline() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        assertThat(out.actions).containsExactly("slot", "send qh.v1.acquire r1");
        assertThat(m.state()).isEqualTo(AcquireMachine.State.SENDING);
        AcquireRequest sent = out.sent.get(0);
        assertThat(sent.getAgentId()).isEqualTo("agent-1");
        assertThat(sent.getPool()).isEqualTo("demo");
        assertThat(sent.getTokens()).isEqualTo(5);
        assertThat(sent.getDeadlineEpochMs()).isEqualTo(1_000_750L);
        assertThat(out.timeouts).containsExactly(750 * MS);
    }

    @Test
    void aGrant_releasesTheSlotAndEndsWithTheLease() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        now += 3 * MS;
        m.replied(now, QUEUE, grant("main", "L1"));
        assertThat(out.actions).endsWith("release slot", "granted L1");
        assertThat(m.state()).isEqualTo(AcquireMachine.State.DONE);
        assertThat(router.knownHubs()).containsExactly("main");
    }

    @Test
    void aTimeoutOnTheQueue_triesTheOtherHubsDirectSubjectWithTheSameRequestId() {
        router.onReply(QUEUE, "main");
        router.onAnnouncement("edge", true);
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        now += 750 * MS;
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.TIMEOUT, "timeout");
        assertThat(out.actions).containsExactly("slot", "send qh.v1.acquire r1", "release slot overloaded", "slot",
                "send " + EDGE.subject() + " r1");
    }

    @Test
    void everyRouteWithoutResponders_backsOffBrieflyThenStartsTheNextRoundWithTheSameId() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.NO_RESPONDERS, "503");
        assertThat(out.last()).isEqualTo("wait 50 ms"); // fewer than MIN_SENDS made: the short backoff
        assertThat(m.state()).isEqualTo(AcquireMachine.State.BACKING_OFF);
        now += 50 * MS;
        m.timerFired(now);
        assertThat(out.last()).isEqualTo("send qh.v1.acquire r1");
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.NO_RESPONDERS, "503");
        assertThat(out.last()).isEqualTo("wait 200 ms");
    }

    @Test
    void theRoundBackoff_isCappedByMaxWait_andThenItFailsAsHubUnavailable() {
        AcquireMachine m = machine(Duration.ofMillis(120));
        m.start(now);
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.NO_RESPONDERS, "503");
        m.timerFired(now += 50 * MS);
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.NO_RESPONDERS, "503");
        assertThat(out.last()).isEqualTo("wait 70 ms");
        m.timerFired(now += 70 * MS);
        assertThat(out.last()).isEqualTo("ended");
        assertThat(out.ended).isInstanceOf(HubUnavailableException.class).hasMessageContaining("after 2 requests");
    }

    @Test
    void laterAttempts_getAtMostWhatIsLeftOfMaxWait_butAtLeast100ms() {
        router.onAnnouncement("main", true);
        AcquireMachine m = machine(Duration.ofMillis(1000));
        m.start(now);
        m.failed(now += 750 * MS, QUEUE, ClientMetrics.RouteFailure.TIMEOUT, "t");
        m.failed(now += 200 * MS, MAIN, ClientMetrics.RouteFailure.NO_RESPONDERS, "503");
        m.timerFired(now += 20 * MS); // the round backoff, capped to the 30 ms left
        assertThat(out.timeouts).containsExactly(750 * MS, 750 * MS, 100 * MS);
    }

    @Test
    void aRefusal_waitsAtLeastItsRetryAfter_thenAsksAgainWithANewRequestId() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.replied(now, QUEUE, refusal("main", "QUOTA_EXHAUSTED", 300));
        assertThat(out.actions).endsWith("release slot", "wait 300 ms");
        m.timerFired(now += 300 * MS);
        assertThat(out.last()).isEqualTo("send qh.v1.acquire r2");
    }

    @Test
    void anOverloadedRefusal_releasesTheSlotAsOverloaded_andWaitsAroundItsRetryAfter() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.replied(now, QUEUE, refusal("main", "OVERLOADED", 100));
        assertThat(out.actions).endsWith("release slot overloaded", "wait 50 ms"); // [0.5, 1.5) x 100 ms, drawn 0
    }

    @Test
    void aRefusalAfterMaxWait_failsWithTheHubsWords() {
        AcquireMachine m = machine(Duration.ZERO);
        m.start(now);
        m.replied(now, QUEUE, refusal("main", "QUOTA_EXHAUSTED", 300));
        assertThat(out.ended).isInstanceOfSatisfying(QuotaExhaustedException.class, e -> {
            assertThat(e.code()).isEqualTo("QUOTA_EXHAUSTED");
            assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(300));
        });
    }

    @Test
    void budgetExhausted_asksTheOtherReadyHubOnce_beforeWaiting() {
        router.onAnnouncement("main", true);
        router.onAnnouncement("edge", true);
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.replied(now, QUEUE, refusal("main", "BUDGET_EXHAUSTED", 400));
        assertThat(out.last()).isEqualTo("send " + EDGE.subject() + " r2");
        m.replied(now, EDGE, refusal("edge", "BUDGET_EXHAUSTED", 400));
        assertThat(out.last()).isEqualTo("wait 400 ms");
    }

    @Test
    void budgetExhaustedEverywhere_asksAgainWithinHalfASecond_whateverTheRetryAfter() {
        router.onAnnouncement("main", true);
        router.onAnnouncement("edge", true);
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.replied(now, QUEUE, refusal("main", "BUDGET_EXHAUSTED", 36_000)); // the window frees in 36 s
        m.replied(now, EDGE, refusal("edge", "BUDGET_EXHAUSTED", 36_000));
        assertThat(out.last()).isEqualTo("wait 500 ms"); // budgets move sooner: a rebalance, a takeover
        m.timerFired(now += 500 * MS);
        assertThat(out.last()).isEqualTo("send qh.v1.acquire r3");
    }

    @Test
    void budgetExhausted_whenTheOtherHubCannotServe_theFirstRefusalStands() {
        router.onAnnouncement("edge", true);
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.replied(now, QUEUE, refusal("main", "BUDGET_EXHAUSTED", 400));
        m.replied(now, EDGE, error("edge", "UNAVAILABLE"));
        assertThat(out.last()).isEqualTo("wait 400 ms");
    }

    @Test
    void aRetryableHubError_marksTheHubAndRetriesAfterTheErrorBackoffWithANewId() {
        router.onReply(QUEUE, "main");
        router.onAnnouncement("edge", true);
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.replied(now, QUEUE, error("main", "FENCED"));
        assertThat(out.last()).isEqualTo("wait 100 ms");
        m.timerFired(now += 100 * MS);
        assertThat(out.last()).isEqualTo("send " + EDGE.subject() + " r2"); // the queue delivers to main: skipped
    }

    @Test
    void anotherHubError_endsTheAcquireWithItsCode() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.replied(now, QUEUE, error("main", "UNKNOWN_POOL"));
        assertThat(out.ended).isInstanceOfSatisfying(QuotaHubException.class,
                e -> assertThat(e.code()).isEqualTo("UNKNOWN_POOL"));
    }

    @Test
    void aLostConnection_resendsTheSameRouteOnce() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.CONNECTION, "lost");
        assertThat(out.last()).isEqualTo("send qh.v1.acquire r1");
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.CONNECTION, "lost");
        assertThat(out.last()).isEqualTo("wait 200 ms");
    }

    @Test
    void aRequestWhoseServerDiesMidAttempt_goesOutAgainAtThatInstant_notAfterTheRequestTimeout() {
        AcquireMachine m = machine(Duration.ofSeconds(2));
        m.start(now);
        now += 120 * MS; // the server dies; the connection reports it (InFlightRequests.connectionLost)
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.CONNECTION, "NATS connection lost before the reply");
        assertThat(out.actions).containsExactly("slot", "send qh.v1.acquire r1", "release slot",
                "slot", "send qh.v1.acquire r1"); // no wait between: the next connection takes it now
        assertThat(out.timeouts.get(1)).as("a whole attempt on the next connection").isEqualTo(750 * MS);
        m.replied(now += 5 * MS, QUEUE, grant("edge", "L1"));
        assertThat(out.granted.getGranted().getLeaseId()).isEqualTo("L1");
    }

    @Test
    void withoutAFreeSlot_itWaits_andSendsWhenGivenOne() {
        out.slotsFree = false;
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        assertThat(m.state()).isEqualTo(AcquireMachine.State.WAITING_FOR_SLOT);
        assertThat(out.sent).isEmpty();
        m.slotTaken(now += 10 * MS);
        assertThat(out.last()).isEqualTo("send qh.v1.acquire r1");
    }

    @Test
    void aSlotThatComesAfterMaxWait_isGivenBack_andTheAcquireFailsOverloaded() {
        out.slotsFree = false;
        AcquireMachine m = machine(Duration.ofMillis(100));
        m.start(now);
        m.slotTaken(now += 150 * MS);
        assertThat(out.actions).endsWith("give back slot", "ended");
        assertThat(out.ended).isInstanceOfSatisfying(QuotaExhaustedException.class, e -> {
            assertThat(e.code()).isEqualTo("OVERLOADED");
            assertThat(e.getMessage()).contains("at most 7 acquires outstanding");
        });
    }

    @Test
    void aCancelledAcquire_endsWithNothingToReport_andAGrantAfterwardsIsReleased() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.NO_RESPONDERS, "503");
        out.stop = AcquireMachine.CANCELLED;
        m.timerFired(now += 50 * MS);
        assertThat(out.last()).isEqualTo("ended");
        assertThat(out.ended).isNull();
        m.replied(now, QUEUE, grant("main", "L9"));
        assertThat(out.last()).isEqualTo("late grant L9");
    }

    @Test
    void aClosingClient_endsTheAcquireWithItsReason() {
        out.stop = new IllegalStateException("QuotaClient is closed");
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        assertThat(out.actions).containsExactly("ended");
        assertThat(out.ended).hasMessage("QuotaClient is closed");
    }

    @Test
    void abort_whileInFlight_givesBackTheSlot_andIgnoresTheLateFailure() {
        AcquireMachine m = machine(Duration.ofSeconds(5));
        m.start(now);
        m.abort(new IllegalStateException("closed"));
        assertThat(out.actions).endsWith("give back slot", "ended");
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.TIMEOUT, "t");
        assertThat(out.last()).isEqualTo("ended");
    }
}
