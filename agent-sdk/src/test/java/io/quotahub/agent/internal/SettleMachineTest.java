package io.quotahub.agent.internal;

import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The settle's decisions on fake time, with no NATS and no thread. */
class SettleMachineTest {

    private static final long MS = 1_000_000L;
    private static final Route MAIN = Route.direct(Subjects.hubSettle("main"), "main");
    private static final Route QUEUE = Route.queue(Subjects.SETTLE);

    private long now = 5_000 * MS;
    private final HubRouter router = new HubRouter(() -> now);
    private final List<String> actions = new ArrayList<>();
    private final List<SettleRequest> sent = new ArrayList<>();
    private RuntimeException stop;
    private RuntimeException ended;

    private final SettleMachine.Out out = new SettleMachine.Out() {
        @Override
        public RuntimeException stopReason() {
            return stop;
        }

        @Override
        public void send(Route route, byte[] body, long timeoutNanos) {
            actions.add("send " + route.subject() + " " + timeoutNanos / MS);
            try {
                sent.add(SettleRequest.parseFrom(body));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void wakeAfter(long nanos) {
            actions.add("wait " + nanos / MS + " ms");
        }

        @Override
        public void ended(RuntimeException failure) {
            actions.add("ended");
            ended = failure;
        }
    };

    private SettleMachine machine(long settleTimeoutMs) {
        SettleRequest.Builder request = SettleRequest.newBuilder().setRequestId("s1").setLeaseId("L1")
                .setOutcome(Outcome.OK).setLeaseSecret("sec");
        return new SettleMachine(out, router, new RetryPolicy(new Jitter(() -> 0.0)), ClientMetrics.NOOP, request,
                "main", "demo", 750 * MS, settleTimeoutMs * MS, now, () -> 2_000L, s -> s.replace("sec", "***"));
    }

    private static SettleReply error(String code, String message) {
        return SettleReply.newBuilder().setHubId("main").setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.valueOf(code)).setMessage(message)).build();
    }

    @Test
    void theLeasesHubFirst_andAnAnswerEndsIt() {
        router.onAnnouncement("main", true);
        SettleMachine m = machine(5_000);
        m.start(now);
        assertThat(actions).containsExactly("send " + MAIN.subject() + " 750");
        assertThat(sent.get(0).getDeadlineEpochMs()).isEqualTo(2_750L);
        m.replied(now, MAIN, SettleReply.newBuilder().setHubId("main").build());
        assertThat(actions).endsWith("ended");
        assertThat(ended).isNull();
        assertThat(m.state()).isEqualTo(SettleMachine.State.DONE);
    }

    @Test
    void aTimeout_goesToTheQueueWithTheSameRequestId_thenBacksOffAfterTheRound() {
        router.onAnnouncement("main", true);
        SettleMachine m = machine(5_000);
        m.start(now);
        m.failed(now += 750 * MS, MAIN, ClientMetrics.RouteFailure.TIMEOUT);
        assertThat(actions).endsWith("send " + QUEUE.subject() + " 750");
        m.failed(now, QUEUE, ClientMetrics.RouteFailure.NO_RESPONDERS);
        assertThat(actions).endsWith("wait 200 ms");
        assertThat(sent).extracting(SettleRequest::getRequestId).containsOnly("s1");
    }

    @Test
    void forbidden_endsAtOnce_withTheSecretScrubbed() {
        SettleMachine m = machine(5_000);
        m.start(now);
        m.replied(now, MAIN, error("FORBIDDEN", "bad secret sec"));
        assertThat(ended).isInstanceOfSatisfying(QuotaHubException.class, e -> {
            assertThat(e.code()).isEqualTo("FORBIDDEN");
            assertThat(e.getMessage()).doesNotContain("sec ").endsWith("***");
        });
    }

    @Test
    void retryableErrors_untilTheSettleTimeout_thenHubUnavailable() {
        SettleMachine m = machine(300);
        m.start(now);
        m.replied(now += 100 * MS, MAIN, error("UNAVAILABLE", "not ready"));
        assertThat(actions).last().asString().startsWith("send");
        m.failed(now += 250 * MS, QUEUE, ClientMetrics.RouteFailure.TIMEOUT);
        assertThat(actions).endsWith("ended");
        assertThat(ended).isInstanceOf(HubUnavailableException.class).hasMessageContaining("not settled after 2 requests");
    }

    @Test
    void aTerminatedClient_endsTheSettle() {
        stop = new IllegalStateException("QuotaClient is closed");
        machine(5_000).start(now);
        assertThat(actions).containsExactly("ended");
        assertThat(ended).hasMessage("QuotaClient is closed");
    }
}
