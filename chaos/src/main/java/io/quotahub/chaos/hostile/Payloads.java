package io.quotahub.chaos.hostile;

import com.google.protobuf.InvalidProtocolBufferException;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleRequest;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

/**
 * What a fuzzing attacker sends to the hubs' NATS subjects: garbage bytes, and valid requests of
 * the hostile agent mutated (bytes flipped, cut short, grown, bogus or oversized fields, wrong wire
 * types, doubled). Pure: a seeded {@link Random} in, bytes out.
 *
 * <p>A mutated acquire never becomes a valid request under another agent id: agent ids are
 * self-declared, and an attacker who invents new ones gets one fair share per id, which no
 * per-agent limit can stop (that needs authenticated agents). The hostile agent keeps one id.
 */
public final class Payloads {

    private static final int MAX_TRIES = 20;

    private final Random random;
    private final String agentId;
    private final String pool;

    public Payloads(Random random, String agentId, String pool) {
        this.random = random;
        this.agentId = agentId;
        this.pool = pool;
    }

    /** Random bytes: mostly short, sometimes tens of kilobytes, sometimes nothing. */
    public byte[] garbage() {
        int roll = random.nextInt(100);
        int length = roll < 5 ? 0 : roll < 75 ? random.nextInt(256) : roll < 97 ? 256 + random.nextInt(8_192) : 65_536 + random.nextInt(65_536);
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    /** A mutated AcquireRequest of this agent (HIGH priority, a huge or odd estimate), never one under another agent id. */
    public byte[] mutatedAcquire(long nowMs) {
        byte[] valid = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId(agentId).setPool(pool)
                .setTokens(pick(1, 100, 1_000_000, Long.MAX_VALUE, -1, Long.MIN_VALUE)).setPriority(Priority.HIGH)
                .setDeadlineEpochMs(nowMs + 2_000).build().toByteArray();
        for (int i = 0; i < MAX_TRIES; i++) {
            byte[] m = mutate(valid);
            if (!isForeignAcquire(m, agentId)) {
                return m;
            }
        }
        return garbage();
    }

    /** A mutated SettleRequest of a lease (the agent's own or another's), with odd numbers. */
    public byte[] mutatedSettle(String leaseId, String secret, long nowMs) {
        SettleRequest.Builder s = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setLeaseId(leaseId)
                .setAgentId(agentId).setTokensUsed(pick(0, 1, Long.MAX_VALUE, -1, Long.MIN_VALUE))
                .setOutcome(Outcome.forNumber(random.nextInt(6))).setRetryAfterMs(pick(0, 1_000, Long.MAX_VALUE, -1))
                .setDeadlineEpochMs(nowMs + 2_000);
        if (secret != null) {
            s.setLeaseSecret(secret);
        }
        return mutate(s.build().toByteArray());
    }

    /** A mutated Heartbeat of this agent naming some lease ids, each with a wrong secret. */
    public byte[] mutatedHeartbeat(java.util.List<String> leaseIds, long nowMs) {
        Heartbeat.Builder h = Heartbeat.newBuilder().setAgentId(agentId).setSentAtEpochMs(nowMs);
        for (String id : leaseIds) {
            h.addLeases(LeaseProof.newBuilder().setLeaseId(id).setLeaseSecret(UUID.randomUUID().toString()));
        }
        return mutate(h.build().toByteArray());
    }

    /** One random mutation of a valid message. */
    byte[] mutate(byte[] valid) {
        byte[] b = valid.clone();
        switch (random.nextInt(7)) {
            case 0 -> { // flip a few bytes
                int n = 1 + random.nextInt(3);
                for (int i = 0; i < n && b.length > 0; i++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
                return b;
            }
            case 1 -> { // cut short
                return Arrays.copyOf(b, b.length == 0 ? 0 : random.nextInt(b.length));
            }
            case 2 -> { // grow by random bytes
                byte[] tail = new byte[1 + random.nextInt(64)];
                random.nextBytes(tail);
                return concat(b, tail);
            }
            case 3 -> { // a length-delimited field that claims 2 GB
                return concat(new byte[] {(byte) 0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x07}, b);
            }
            case 4 -> { // an unknown field (number 1000) carrying a 64 KiB blob
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(b);
                out.writeBytes(new byte[] {(byte) 0xc2, (byte) 0x3e}); // field 1000, wire type 2
                out.writeBytes(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x04}); // length 65 536
                byte[] blob = new byte[65_536];
                random.nextBytes(blob);
                out.writeBytes(blob);
                return out.toByteArray();
            }
            case 5 -> { // field 1 (a string) sent as a varint: wrong wire type
                return concat(new byte[] {(byte) 0x08, (byte) 0x96, (byte) 0x01}, b);
            }
            default -> { // the message twice: repeated fields double, the rest is overwritten
                return concat(b, b);
            }
        }
    }

    /** Whether bytes parse as a usable acquire (a pool, a deadline) under an agent id other than {@code ours}. */
    static boolean isForeignAcquire(byte[] bytes, String ours) {
        try {
            AcquireRequest r = AcquireRequest.parseFrom(bytes);
            return !r.getPool().isBlank() && r.getDeadlineEpochMs() > 0 && !r.getAgentId().equals(ours);
        } catch (InvalidProtocolBufferException notARequest) {
            return false;
        }
    }

    private long pick(long... values) {
        return values[random.nextInt(values.length)];
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
