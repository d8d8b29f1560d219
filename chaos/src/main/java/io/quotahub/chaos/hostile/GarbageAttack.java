package io.quotahub.chaos.hostile;

import io.quotahub.proto.Subjects;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@link HostileAgent.Attack#GARBAGE}: random bytes and mutated protobuf ({@link Payloads}) on every
 * subject the hubs listen on, half with a reply subject.
 */
final class GarbageAttack {

    private final HostileWire wire;
    private final Payloads payloads;
    private final List<String> subjects;

    GarbageAttack(HostileWire wire, long seed) {
        this.wire = wire;
        this.payloads = new Payloads(new Random(seed + 1), wire.agentId, wire.pool);
        List<String> s = new ArrayList<>(List.of(Subjects.ACQUIRE, Subjects.SETTLE, Subjects.HEARTBEAT));
        wire.hubUrls.keySet().stream().sorted().forEach(hub -> {
            s.add(Subjects.hubAcquire(hub));
            s.add(Subjects.hubSettle(hub));
        });
        this.subjects = List.copyOf(s);
    }

    /** One message of garbage on a subject picked at random. */
    void tick() {
        String subject = subjects.get(wire.random.nextInt(subjects.size()));
        long now = System.currentTimeMillis();
        byte[] body;
        String what;
        if (wire.random.nextBoolean()) {
            body = payloads.garbage();
            what = "garbage bytes";
        } else if (subject.endsWith("acquire")) {
            body = payloads.mutatedAcquire(now);
            what = "mutated AcquireRequest";
        } else if (subject.endsWith("settle")) {
            List<HostileWire.Foreign> others = wire.recentOthers(8);
            HostileWire.Own mine = wire.own.values().stream().findAny().orElse(null);
            body = mine != null && wire.random.nextBoolean() ? payloads.mutatedSettle(mine.leaseId(), mine.secret(), now)
                    : payloads.mutatedSettle(others.isEmpty() ? "main-0-0" : others.get(wire.random.nextInt(others.size())).leaseId(),
                            null, now);
            what = "mutated SettleRequest";
        } else {
            body = payloads.mutatedHeartbeat(wire.recentOthers(8).stream().map(HostileWire.Foreign::leaseId).toList(), now);
            what = "mutated Heartbeat";
        }
        String attack = "garbage: " + what;
        if (wire.random.nextBoolean()) {
            wire.nc.publish(subject, body);
            wire.tally.count(attack, "published without reply subject");
            return;
        }
        wire.nc.requestWithTimeout(subject, body, HostileWire.ANSWER_WITHIN).whenComplete((m, error) -> {
            if (error != null) {
                wire.tally.count(attack, subject.equals(Subjects.HEARTBEAT) ? "no answer (heartbeats have none)" : "no answer");
            } else {
                wire.tally.count(attack, "answer " + HostileWire.answerCode(subject, m.getData()));
            }
        });
    }
}
