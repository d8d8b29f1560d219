package io.quotahub.hub.fuzz;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Message;
import io.quotahub.hub.fuzz.NatsInput.Entrance;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random bytes and mutated protobuf on every NATS subject the hub listens on for agents
 * (acquire and settle, on the queue subjects and the hub's direct ones, and heartbeats). The hub
 * answers every message that has a reply subject (unreadable ones with BAD_REQUEST), never grants
 * or settles on a message the contract does not allow ({@link WireContract}), and its engine
 * state after a batch is the state the valid traffic before it left. A failing batch is shrunk
 * by jqwik; {@code @Property(seed = "…")} replays one.
 */
class NatsEntrancesFuzzTest {

    private static final Set<ErrorReply.Code> SETTLE_REFUSALS = Set.of(ErrorReply.Code.BAD_REQUEST, ErrorReply.Code.FORBIDDEN,
            ErrorReply.Code.DEADLINE_EXCEEDED);

    static HostileRun run;

    @BeforeContainer
    static void start() {
        run = new HostileRun();
    }

    @AfterContainer
    static void stop() {
        if (run != null) {
            run.close();
        }
    }

    @Property(tries = 100)
    void acquireSubjects_answerEveryHostileMessageGrantNothingAndChangeNothing(@ForAll("acquireBatches") List<NatsInput> batch) {
        send(batch);
    }

    @Property(tries = 100)
    void settleSubjects_answerEveryHostileMessageSettleNothingAndChangeNothing(@ForAll("settleBatches") List<NatsInput> batch) {
        send(batch);
    }

    /** Each batch waits until the hub has declared its senders dead: a forged heartbeat would get leases reclaimed then. */
    @Property(tries = 20)
    void heartbeats_forgedOrMalformedNeverReclaimALeaseOrChangeAnything(@ForAll("heartbeatBatches") List<NatsInput> batch) {
        send(batch);
    }

    @Property(tries = 20)
    void everySubject_mixedHostileTrafficIsAnsweredAndChangesNothing(@ForAll("mixedBatches") List<NatsInput> batch) {
        send(batch);
    }

    @Provide
    Arbitrary<List<NatsInput>> acquireBatches() {
        return Batches.of(NatsInput.inputs(Arbitraries.of(Entrance.ACQUIRE_QUEUE, Entrance.ACQUIRE_DIRECT),
                NatsInput.payloadsFor(NatsInput.acquireTemplates())), 24);
    }

    @Provide
    Arbitrary<List<NatsInput>> settleBatches() {
        return Batches.of(NatsInput.inputs(Arbitraries.of(Entrance.SETTLE_QUEUE, Entrance.SETTLE_DIRECT),
                NatsInput.payloadsFor(NatsInput.settleTemplates())), 24);
    }

    @Provide
    Arbitrary<List<NatsInput>> heartbeatBatches() {
        return Batches.of(NatsInput.inputs(Arbitraries.just(Entrance.HEARTBEAT),
                NatsInput.payloadsFor(NatsInput.heartbeatTemplates())), 16);
    }

    @Provide
    Arbitrary<List<NatsInput>> mixedBatches() {
        Arbitrary<NatsInput.Template> anyTemplate = Arbitraries.frequencyOf(
                Tuple.of(3, NatsInput.acquireTemplates()), Tuple.of(3, NatsInput.settleTemplates()),
                Tuple.of(2, NatsInput.heartbeatTemplates()), Tuple.of(1, NatsInput.otherKinds()));
        return Batches.of(NatsInput.inputs(Arbitraries.of(Entrance.class), NatsInput.payloadsFor(anyTemplate)), 24);
    }

    private record Sent(NatsInput input, byte[] bytes, CompletableFuture<Message> reply) {
    }

    private void send(List<NatsInput> batch) {
        EngineState before = run.validTrafficThenState();
        FuzzHub hub = run.hub();
        HonestAgent honest = run.honest();
        WireContract contract = hub.contract();
        Map<String, HeldLease> open = honest.open();
        long now = System.currentTimeMillis();
        NatsInput.Forge forge = new NatsInput.Forge(honest.openList(), now);
        List<Sent> sent = new ArrayList<>();
        boolean heartbeats = false;
        for (NatsInput input : batch) {
            byte[] bytes = input.payload().bytes(forge);
            if (allowedByContract(contract, input.entrance(), bytes, open, now)) {
                Statistics.label("messages").collect("valid after mutation, not sent");
                continue;
            }
            Statistics.label("messages").collect(input.entrance().name());
            heartbeats |= input.entrance() == Entrance.HEARTBEAT;
            if (input.withReply() && input.entrance() != Entrance.HEARTBEAT) {
                sent.add(new Sent(input, bytes, hub.request(input.entrance().subject, bytes)));
            } else {
                hub.publish(input.entrance().subject, bytes);
            }
        }
        hub.drain();
        for (Sent s : sent) {
            checkReply(contract, s, open);
        }
        if (heartbeats) {
            hub.awaitNoAgentsKnown();
        }
        run.assertUnchangedSince(before, batch);
    }

    private static boolean allowedByContract(WireContract contract, Entrance entrance, byte[] bytes, Map<String, HeldLease> open,
                                             long now) {
        return switch (entrance) {
            case ACQUIRE_QUEUE, ACQUIRE_DIRECT -> contract.validAcquire(bytes, now);
            case SETTLE_QUEUE, SETTLE_DIRECT -> contract.validSettle(bytes, open, now);
            case HEARTBEAT -> contract.provingHeartbeat(bytes, open);
        };
    }

    private static void checkReply(WireContract contract, Sent s, Map<String, HeldLease> open) {
        Message reply;
        try {
            reply = s.reply().join();
        } catch (CompletionException e) {
            throw new AssertionError("no reply within " + FuzzHub.REPLY_TIMEOUT + " to " + s.input(), e);
        }
        try {
            if (s.input().entrance().acquire()) {
                checkAcquireReply(contract, s, AcquireReply.parseFrom(reply.getData()));
            } else {
                checkSettleReply(contract, s, SettleReply.parseFrom(reply.getData()), open);
            }
        } catch (InvalidProtocolBufferException e) {
            fail("the reply to %s is not a protobuf reply: %s", s.input(), e.getMessage());
        }
    }

    private static void checkAcquireReply(WireContract contract, Sent s, AcquireReply reply) {
        assertThat(reply.getResultCase()).as("reply to %s: %s", s.input(), reply).isNotEqualTo(AcquireReply.ResultCase.RESULT_NOT_SET);
        assertThat(reply.hasGranted()).as("a lease granted on a message the contract refuses: %s -> %s", s.input(), reply).isFalse();
        if (!contract.readable(s.bytes(), AcquireRequest::parseFrom)) {
            assertThat(reply.getError().getErrorCode()).as("unreadable acquire (%d bytes) %s -> %s", s.bytes().length, s.input(), reply)
                    .isEqualTo(ErrorReply.Code.BAD_REQUEST);
        }
    }

    private static void checkSettleReply(WireContract contract, Sent s, SettleReply reply, Map<String, HeldLease> open) {
        assertThat(reply.hasError() || !reply.getSettled())
                .as("a lease settled by a message the contract refuses: %s -> %s", s.input(), reply).isTrue();
        if (!contract.readable(s.bytes(), SettleRequest::parseFrom)) {
            assertThat(reply.getError().getErrorCode()).as("unreadable settle (%d bytes) %s -> %s", s.bytes().length, s.input(), reply)
                    .isEqualTo(ErrorReply.Code.BAD_REQUEST);
            return;
        }
        try {
            if (open.containsKey(SettleRequest.parseFrom(s.bytes()).getLeaseId())) {
                assertThat(reply.getError().getErrorCode())
                        .as("a refused settle of an open lease gets a clear error: %s -> %s", s.input(), reply)
                        .isIn(SETTLE_REFUSALS);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
