package io.quotahub.engine.internal;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.Lease;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Priority;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.TreeMap;

/**
 * The binary form of an engine's whole state (snapshots: restart = snapshot + the ledger's tail).
 * Each internal class writes its own fields ({@code writeState}/{@code readState}); this class
 * frames them: magic, format version, a fingerprint of the configuration (a snapshot is only valid
 * for the configuration that wrote it), the parts, and an end marker that catches truncation.
 * Derived indexes (key order, lease maps) are rebuilt, not stored.
 */
public final class EngineState {

    static final int MAGIC = 0x51484553; // "QHES"
    static final int END = 0x454E4421;   // "END!"
    /**
     * Bump on any change of the layout: older snapshots are then refused (a full replay follows).
     * 2: open leases carry their holder digest; lease ids may end in a random suffix.
     * 3: open leases carry their principal.
     */
    public static final int VERSION = 3;
    private static final int MAX_COUNT = 1 << 26;

    private EngineState() {
    }

    /** A body run under the engine's locks that may fail with I/O. */
    @FunctionalInterface
    interface IoBody {
        void run() throws IOException;
    }

    /**
     * What decides whether a snapshot fits this engine: hub, budget shares, pools (with their
     * policy: settle bound, fair share), keys, limits, margins, lease TTL, cooldown (with the max
     * cooldown) and thermal settings (secrets are not part of the engine config).
     */
    static String fingerprint(EngineConfig c) {
        StringBuilder b = new StringBuilder();
        b.append(c.hubId()).append('|').append(new TreeMap<>(c.budgetShares())).append('|')
                .append(c.settleMargin()).append('|').append(c.leaseTtl()).append('|')
                .append(c.cooldown()).append("|max cooldown ").append(c.cooldown().maxCooldown())
                .append('|').append(c.thermal());
        for (PoolSpec p : c.pools()) {
            b.append("|pool ").append(p.name()).append(' ').append(p.preset()).append(' ').append(p.maxConcurrent())
                    .append(' ').append(p.policy()).append(" tokens per call ").append(p.maxTokensPerCall());
            limits(b, p.limits());
            for (KeySpec k : p.keys()) {
                b.append("|key ").append(k.id()).append(' ').append(k.maxConcurrent());
                limits(b, k.limits());
            }
        }
        return b.toString();
    }

    private static void limits(StringBuilder b, java.util.List<LimitSpec> limits) {
        for (LimitSpec l : limits) {
            b.append(' ').append(l.kind()).append(':').append(l.capacity()).append('/').append(l.per())
                    .append('@').append(l.calendarDayZone());
        }
    }

    static void writeHeader(DataOutput out, EngineConfig config) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        writeLongString(out, fingerprint(config));
    }

    static void readHeader(DataInput in, EngineConfig config) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not an engine state (bad magic)");
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new IOException("engine state format version " + version + ", this engine reads version " + VERSION);
        }
        if (!readLongString(in).equals(fingerprint(config))) {
            throw new IOException("engine state was written for another configuration (pools, keys, limits, shares or TTL changed)");
        }
    }

    static void writeEnd(DataOutput out) throws IOException {
        out.writeInt(END);
    }

    static void readEnd(DataInput in) throws IOException {
        if (in.readInt() != END) {
            throw new IOException("engine state has trailing garbage or lost its end");
        }
    }

    static void writeLease(DataOutput out, Lease l, int slot) throws IOException {
        out.writeUTF(l.leaseId());
        out.writeUTF(l.hubId());
        out.writeUTF(l.pool());
        out.writeUTF(l.keyId());
        out.writeLong(l.tokens());
        out.writeByte(l.priority().ordinal());
        writeNullable(out, l.agentId());
        writeNullable(out, l.requestId());
        out.writeLong(l.grantedAt().toEpochMilli());
        out.writeLong(l.expiresAt().toEpochMilli());
        out.writeUTF(l.holderDigest());
        out.writeUTF(l.principal());
        out.writeInt(slot);
    }

    record StoredLease(Lease lease, int slot) {
    }

    static StoredLease readLease(DataInput in) throws IOException {
        Lease l = new Lease(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readLong(),
                enumAt(Priority.values(), in.readByte(), "priority"), readNullable(in), readNullable(in),
                Instant.ofEpochMilli(in.readLong()), Instant.ofEpochMilli(in.readLong()), in.readUTF(), in.readUTF());
        return new StoredLease(l, in.readInt());
    }

    static void writeNullable(DataOutput out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    static String readNullable(DataInput in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    private static void writeLongString(DataOutput out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readLongString(DataInput in) throws IOException {
        int n = in.readInt();
        expectCount(n, "fingerprint length");
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    static void expect(int found, int expected, String what) throws IOException {
        if (found != expected) {
            throw new IOException("engine state has " + found + " " + what + ", this engine " + expected);
        }
    }

    static void expectCount(int n, String what) throws IOException {
        if (n < 0 || n > MAX_COUNT) {
            throw new IOException("engine state: implausible number of " + what + ": " + n);
        }
    }

    static <E extends Enum<E>> E enumAt(E[] values, int ordinal, String what) throws IOException {
        if (ordinal < 0 || ordinal >= values.length) {
            throw new IOException("engine state: unknown " + what + " " + ordinal);
        }
        return values[ordinal];
    }
}
