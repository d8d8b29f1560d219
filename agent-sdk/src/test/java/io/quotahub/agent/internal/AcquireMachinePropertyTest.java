package io.quotahub.agent.internal;

import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Granted;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Refused;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any sequence of events the driver can deliver (replies and failures of the request in flight,
 * timers, slots, time passing, cancellation) keeps the acquire's bookkeeping whole: every slot it
 * took is released or given back exactly once, it ends exactly once, nothing goes out after the end,
 * and it ends by its deadline once the minimum sends were made.
 */
class AcquireMachinePropertyTest {

    private static final long MS = 1_000_000L;

    private static final class Driver implements AcquireMachine.Out {
        long now = 0;
        int slotsTaken;
        int slotsBack;
        int sends;
        int inFlight;
        int pendingTimers;
        boolean slotQueued;
        int ends;
        boolean afterEndAction;
        boolean freeSlots = true;
        RuntimeException stop;

        @Override
        public RuntimeException stopReason() {
            return stop;
        }

        @Override
        public void send(Route route, AcquireRequest request, long timeoutNanos) {
            afterEndAction |= ends > 0;
            sends++;
            inFlight++;
            assertThat(timeoutNanos).isPositive();
        }

        @Override
        public boolean takeSlot() {
            afterEndAction |= ends > 0;
            if (freeSlots) {
                slotsTaken++;
                return true;
            }
            slotQueued = true;
            return false;
        }

        @Override
        public void releaseSlot(boolean overloaded) {
            slotsBack++;
        }

        @Override
        public void giveBackSlot() {
            slotsBack++;
        }

        @Override
        public int slotLimit() {
            return 4;
        }

        @Override
        public void wakeAfter(long nanos) {
            afterEndAction |= ends > 0;
            assertThat(nanos).isNotNegative();
            pendingTimers++;
        }

        @Override
        public void granted(AcquireReply reply) {
            ends++;
        }

        @Override
        public void ended(RuntimeException why) {
            ends++;
        }

        @Override
        public void lateGrant(AcquireReply reply) {
        }
    }

    private static final Route QUEUE = Route.queue("qh.v1.acquire");

    private static AcquireReply reply(int kind) {
        AcquireReply.Builder b = AcquireReply.newBuilder().setHubId(kind % 2 == 0 ? "main" : "edge");
        return switch (kind) {
            case 0 -> b.setGranted(Granted.newBuilder().setLeaseId("L")).build();
            case 1 -> b.setRefused(Refused.newBuilder().setRefusalCode(Refused.Code.QUOTA_EXHAUSTED).setRetryAfterMs(200)).build();
            case 2 -> b.setRefused(Refused.newBuilder().setRefusalCode(Refused.Code.OVERLOADED).setRetryAfterMs(100)).build();
            case 3 -> b.setRefused(Refused.newBuilder().setRefusalCode(Refused.Code.BUDGET_EXHAUSTED).setRetryAfterMs(500)).build();
            case 4 -> b.setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.UNAVAILABLE)).build();
            case 5 -> b.setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.FENCED)).build();
            case 6 -> b.setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.BAD_REQUEST)).build();
            default -> b.build(); // no result
        };
    }

    @Property(tries = 2000)
    void anyEventSequence_keepsSlotsAndTheEndWhole(
            @ForAll @Size(max = 60) List<@IntRange(min = 0, max = 19) Integer> events,
            @ForAll @IntRange(min = 0, max = 3000) int maxWaitMs,
            @ForAll boolean slotsFree) {
        Driver d = new Driver();
        d.freeSlots = slotsFree;
        HubRouter router = new HubRouter(() -> d.now);
        router.onAnnouncement("main", true);
        router.onAnnouncement("edge", true);
        AcquireMachine m = new AcquireMachine(d, router, new RetryPolicy(new Jitter(() -> 0.5)), ClientMetrics.NOOP,
                () -> "id", "a", "demo", 1, Priority.NORMAL, Duration.ofMillis(maxWaitMs), Duration.ofMillis(750),
                d.now, () -> 0L);
        m.start(d.now);
        for (int e : events) {
            d.now += (e % 5) * 100 * MS; // time passes between events
            if (e < 8 && d.inFlight > 0) {
                d.inFlight--;
                m.replied(d.now, QUEUE, reply(e));
            } else if (e < 12 && d.inFlight > 0) {
                d.inFlight--;
                m.failed(d.now, QUEUE, ClientMetrics.RouteFailure.values()[e - 8], "x");
            } else if (e < 15 && d.pendingTimers > 0) {
                d.pendingTimers--;
                m.timerFired(d.now);
            } else if (e < 17 && d.slotQueued) {
                d.slotQueued = false;
                d.slotsTaken++;
                m.slotTaken(d.now);
            } else if (e == 17) {
                d.stop = AcquireMachine.CANCELLED;
            } else if (e == 18) {
                d.freeSlots = !d.freeSlots;
            }
        }
        // the driver's world settles: every request is answered late or times out, timers and slots come
        for (int guard = 0; guard < 1000 && m.state() != AcquireMachine.State.DONE; guard++) {
            d.now += 800 * MS;
            d.freeSlots = true;
            if (d.inFlight > 0) {
                d.inFlight--;
                m.failed(d.now, QUEUE, ClientMetrics.RouteFailure.TIMEOUT, "t");
            } else if (d.pendingTimers > 0) {
                d.pendingTimers--;
                m.timerFired(d.now);
            } else if (d.slotQueued) {
                d.slotQueued = false;
                d.slotsTaken++;
                m.slotTaken(d.now);
            }
        }
        while (d.inFlight > 0) { // late answers after the end
            d.inFlight--;
            m.failed(d.now, QUEUE, ClientMetrics.RouteFailure.TIMEOUT, "late");
        }
        while (d.pendingTimers > 0) {
            d.pendingTimers--;
            m.timerFired(d.now);
        }
        if (d.slotQueued) { // a slot handed over after the end goes back at once
            d.slotQueued = false;
            d.slotsTaken++;
            m.slotTaken(d.now);
        }
        assertThat(m.state()).isEqualTo(AcquireMachine.State.DONE);
        assertThat(d.ends).as("ends exactly once").isEqualTo(1);
        assertThat(d.afterEndAction).as("nothing goes out after the end").isFalse();
        assertThat(d.slotsBack).as("every slot taken comes back exactly once").isEqualTo(d.slotsTaken);
    }
}
