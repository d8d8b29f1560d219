package io.quotahub.hub.fuzz;

import io.nats.client.Message;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Messages at and past the hub's size bound ({@code quotahub.max-message-bytes}), and a burst of
 * 1 MB heartbeats: the hub reads nothing past its bound and holds no memory for what it ignores.
 * Agents here stay alive for a minute, so whatever the hub keeps of a heartbeat is still kept
 * when its heap is measured.
 */
class OversizedInputTest {

    private static final int BURST = 40;
    private static final int PAYLOAD = 1_000_000;
    /** Retained after the burst: well under the 20 MB of well-formed heartbeats in it. */
    private static final long HEAP_GROWTH_LIMIT = 16L * 1024 * 1024;

    static FuzzHub hub;
    static HonestAgent honest;

    @BeforeAll
    static void start() {
        hub = FuzzHub.start(Map.of("quotahub.agent-dead-after", "60s"));
        honest = new HonestAgent(hub);
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    private static AcquireRequest.Builder validAcquire() {
        return AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("big-sender").setPool(FuzzHub.POOL)
                .setTokens(10).setPriority(Priority.NORMAL).setDeadlineEpochMs(System.currentTimeMillis() + 60_000);
    }

    private static AcquireReply acquire(byte[] bytes) throws Exception {
        Message reply = hub.request(Subjects.ACQUIRE, bytes).join();
        return AcquireReply.parseFrom(reply.getData());
    }

    @Test
    void acquireOfMaxMessageBytesPlusOne_isABadRequestAndGrantsNothing() throws Exception {
        byte[] oversized = Padding.padTo(validAcquire(), FuzzHub.MAX_MESSAGE_BYTES + 1);
        EngineState before = EngineState.of(hub.engine());

        AcquireReply reply = acquire(oversized);

        assertThat(reply.getError().getErrorCode()).as("reply to a well-formed acquire of %d bytes: %s", oversized.length, reply)
                .isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(EngineState.of(hub.engine())).isEqualTo(before);
    }

    @Test
    void acquireOfExactlyMaxMessageBytes_isRead() throws Exception {
        byte[] atTheBound = Padding.padTo(validAcquire(), FuzzHub.MAX_MESSAGE_BYTES);

        AcquireReply reply = acquire(atTheBound);

        assertThat(reply.hasGranted()).as("reply to a well-formed acquire of %d bytes: %s", atTheBound.length, reply).isTrue();
    }

    @Test
    void settleOfMaxMessageBytesPlusOne_isABadRequestAndLeavesTheLeaseOpen() throws Exception {
        HeldLease lease = honest.acquireNats();
        byte[] oversized = Padding.padTo(SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setLeaseId(lease.leaseId())
                .setLeaseSecret(lease.secret()).setAgentId(HonestAgent.NATS_AGENT).setTokensUsed(5).setOutcome(Outcome.OK)
                .setDeadlineEpochMs(System.currentTimeMillis() + 60_000), FuzzHub.MAX_MESSAGE_BYTES + 1);

        SettleReply reply = SettleReply.parseFrom(hub.request(Subjects.SETTLE, oversized).join().getData());

        assertThat(reply.getError().getErrorCode()).as("reply to a well-formed settle of %d bytes: %s", oversized.length, reply)
                .isEqualTo(ErrorReply.Code.BAD_REQUEST);
        assertThat(hub.engine().openLease(lease.leaseId())).as("the lease is still open").isPresent();
        honest.settleNats(lease);
    }

    @Test
    void burstOf1MbHeartbeats_leavesTheHubReadyAndItsHeapSane() {
        honest.ensureOpen();
        long baseline = heapAfterGc();
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < BURST; i++) {
            hub.publish(Subjects.HEARTBEAT, i % 2 == 0 ? garbage(random) : wellFormedHeartbeat(i));
            if (i % 8 == 7) {
                hub.drain(); // heartbeats share the settle dispatcher: this waits until they were handled
            }
        }
        hub.drain();

        hub.assertStillServing();
        honest.step();
        Awaitility.await("heap retained after the burst (" + (baseline >> 20) + " MB in use before it)")
                .atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(heapAfterGc() - baseline).as("bytes retained").isLessThan(HEAP_GROWTH_LIMIT));
    }

    private static byte[] garbage(SplittableRandom random) {
        byte[] bytes = new byte[PAYLOAD];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    /**
     * A heartbeat of a fresh agent listing about 1 MB of lease ids it does not hold: most by id
     * alone (short ids, so as many as fit), the rest with made-up secrets.
     */
    private static byte[] wellFormedHeartbeat(int n) {
        Heartbeat.Builder b = Heartbeat.newBuilder().setAgentId("flooder-" + n).setSentAtEpochMs(System.currentTimeMillis());
        int size = 0;
        for (int i = 0; size < PAYLOAD - 200; i++) {
            String id = Integer.toString(i, 36);
            if (i % 8 != 0) {
                b.addLeaseIds(id);
                size += id.length() + 2;
            } else {
                b.addLeases(LeaseProof.newBuilder().setLeaseId(id).setLeaseSecret("c2VjcmV0LW5vdC1oZWxkLWJ5LXRoaXMtYWdlbnQ"));
                size += id.length() + 45;
            }
        }
        return b.build().toByteArray();
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
