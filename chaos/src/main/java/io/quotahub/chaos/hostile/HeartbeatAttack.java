package io.quotahub.chaos.hostile;

import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.Subjects;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link HostileAgent.Attack#HEARTBEAT}: heartbeats of about 1 MB, in turn: a new agent id listing
 * the others' recent lease ids (padded with made-up ids), the same as {@link LeaseProof}s with
 * wrong secrets, or a 1 MB agent id.
 */
final class HeartbeatAttack {

    private final HostileWire wire;
    private final AtomicLong heartbeats = new AtomicLong();
    private final byte[] idPadding;
    private final byte[] proofPadding;
    private final String hugeAgentId;

    /** Builds the padding of fake lease ids and of fake LeaseProofs, each about 1 MB less room for the real ids. */
    HeartbeatAttack(HostileWire wire) {
        this.wire = wire;
        long max = Math.min(wire.nc.getMaxPayload(), 1_048_576);
        int room = (int) max - 64 * 1024; // the real ids listed in front take at most ~40 KB
        ByteArrayOutputStream ids = new ByteArrayOutputStream();
        ByteArrayOutputStream proofs = new ByteArrayOutputStream();
        for (int i = 0; ids.size() < room; i++) {
            ids.writeBytes(Heartbeat.newBuilder().addLeaseIds("main-" + Long.toString(i, 36) + "-" + Long.toString(i * 7919L, 36))
                    .build().toByteArray());
        }
        for (int i = 0; proofs.size() < room; i++) {
            proofs.writeBytes(Heartbeat.newBuilder().addLeases(LeaseProof.newBuilder().setLeaseId("edge-" + Long.toString(i, 36))
                    .setLeaseSecret(Long.toString(i * 104_729L, 36))).build().toByteArray());
        }
        this.idPadding = ids.toByteArray();
        this.proofPadding = proofs.toByteArray();
        this.hugeAgentId = "hostile-".repeat(room / 8);
    }

    /** One oversized heartbeat. */
    void tick() {
        long n = heartbeats.incrementAndGet();
        List<HostileWire.Foreign> others = wire.recentOthers(HostileWire.RECENT_OTHERS);
        Heartbeat.Builder head = Heartbeat.newBuilder().setSentAtEpochMs(System.currentTimeMillis());
        byte[] padding;
        String kind;
        switch ((int) (n % 3)) {
            case 0 -> { // a new agent that lists the others' leases, then falls silent
                head.setAgentId(wire.agentId + "-hb-" + n);
                others.forEach(f -> head.addLeaseIds(f.leaseId()));
                padding = idPadding;
                kind = "others' lease ids";
            }
            case 1 -> { // the same, as proofs with wrong secrets
                head.setAgentId(wire.agentId + "-hb-" + n);
                others.forEach(f -> head.addLeases(LeaseProof.newBuilder().setLeaseId(f.leaseId()).setLeaseSecret(wire.wrongSecret())));
                padding = proofPadding;
                kind = "LeaseProofs with wrong secrets";
            }
            default -> { // a 1 MB agent id
                head.setAgentId(n + hugeAgentId);
                others.forEach(f -> head.addLeaseIds(f.leaseId()));
                padding = new byte[0];
                kind = "1 MB agent id";
            }
        }
        byte[] front = head.build().toByteArray();
        // protobuf messages concatenate: the padding's repeated entries append to the list
        byte[] bytes = new byte[front.length + padding.length];
        System.arraycopy(front, 0, bytes, 0, front.length);
        System.arraycopy(padding, 0, bytes, front.length, padding.length);
        if (bytes.length > wire.nc.getMaxPayload()) {
            wire.tally.count("heartbeat ~1 MB: " + kind, "too big to send");
            return;
        }
        wire.nc.publish(Subjects.HEARTBEAT, bytes);
        wire.tally.count("heartbeat ~1 MB: " + kind, "sent");
    }
}
