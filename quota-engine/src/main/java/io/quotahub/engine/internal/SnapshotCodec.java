package io.quotahub.engine.internal;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Priority;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The binary layout of an engine's whole state, in one place (format {@value EngineState#VERSION},
 * reads {@value EngineState#OLDEST_READABLE} too;
 * {@code SnapshotFormatTest} pins its bytes). In order: header (magic, version, configuration
 * fingerprint), lease id counter, settled ids, budgets, transfer log, every pool (its windows,
 * thermal state and bookkeeping, then each key's, then the key order: {@link PoolCodec}), the open leases, an end
 * marker. The parts hand over plain state ({@code state()}/{@code restore}); this class writes it,
 * reads it back and checks what it read before anything is restored. Derived indexes (agent
 * shares, lease maps) are not stored. The caller holds every lock of the engine.
 */
final class SnapshotCodec {

    private final Supplier<EngineConfig> config;
    private final LeaseIds ids;
    private final SettledIds settled;
    private final Budgets budgets;
    private final TransferLog log;
    private final Supplier<Map<String, PoolState>> pools;

    /** Both suppliers give what is configured now: a reload replaces them, a snapshot is of the configuration then. */
    SnapshotCodec(Supplier<EngineConfig> config, LeaseIds ids, SettledIds settled, Budgets budgets, TransferLog log,
                  Supplier<Map<String, PoolState>> pools) {
        this.config = config;
        this.ids = ids;
        this.settled = settled;
        this.budgets = budgets;
        this.log = log;
        this.pools = pools;
    }

    // ---- the whole state -------------------------------------------------------------------------

    void write(DataOutput out) throws IOException {
        Map<String, PoolState> pools = this.pools.get();
        out.writeInt(EngineState.MAGIC);
        out.writeInt(EngineState.VERSION);
        writeLongString(out, EngineState.fingerprint(config.get()));
        long[] counter = ids.counter();
        out.writeLong(counter[0]);
        out.writeLong(counter[1]);
        writeSettled(out);
        writeBudgets(out);
        writeTransfers(out);
        out.writeInt(pools.size());
        for (PoolState p : pools.values()) {
            PoolCodec.write(out, p);
        }
        List<OpenLease> open = new ArrayList<>();
        for (PoolState p : pools.values()) {
            for (KeyState k : p.keys) {
                open.addAll(k.open.values());
            }
        }
        out.writeInt(open.size());
        for (OpenLease l : open) {
            writeLease(out, l.lease, l.slot);
        }
        out.writeInt(EngineState.END);
    }

    /** Reads a whole state into the parts; @return the open leases, for the caller to index. */
    List<OpenLease> read(DataInput in) throws IOException {
        Map<String, PoolState> pools = this.pools.get();
        if (in.readInt() != EngineState.MAGIC) {
            throw new IOException("not an engine state (bad magic)");
        }
        int version = in.readInt();
        if (version < EngineState.OLDEST_READABLE || version > EngineState.VERSION) {
            throw new IOException("engine state format version " + version + ", this engine reads versions "
                    + EngineState.OLDEST_READABLE + " to " + EngineState.VERSION);
        }
        if (!readLongString(in).equals(EngineState.fingerprint(config.get(), version))) {
            throw new IOException("engine state was written for another configuration (pools, keys, limits, shares or TTL changed)");
        }
        ids.moveTo(in.readLong(), in.readLong());
        readSettled(in);
        readBudgets(in);
        readTransfers(in);
        expect(in.readInt(), pools.size(), "pools");
        for (PoolState p : pools.values()) {
            PoolCodec.read(in, p, version);
        }
        int n = in.readInt();
        expectCount(n, "open leases");
        List<OpenLease> open = new ArrayList<>(Math.min(n, 1 << 16));
        for (int i = 0; i < n; i++) {
            open.add(readLease(in, version));
        }
        if (in.readInt() != EngineState.END) {
            throw new IOException("engine state has trailing garbage or lost its end");
        }
        return open;
    }

    // ---- engine-wide parts -----------------------------------------------------------------------

    private void writeSettled(DataOutput out) throws IOException {
        List<SettledIds.Remembered> all = settled.remembered();
        out.writeInt(all.size());
        for (SettledIds.Remembered r : all) {
            out.writeUTF(r.id());
            out.writeLong(r.forgetAt());
        }
    }

    private void readSettled(DataInput in) throws IOException {
        int n = in.readInt();
        expectCount(n, "settled ids");
        for (int k = 0; k < n; k++) {
            settled.restore(in.readUTF(), in.readLong());
        }
    }

    private void writeBudgets(DataOutput out) throws IOException {
        List<Budgets.CellState> cells = budgets.cellStates();
        out.writeInt(cells.size());
        out.writeInt(budgets.hubs().size());
        for (Budgets.CellState c : cells) {
            out.writeUTF(c.ref());
            for (long b : c.budgets()) {
                out.writeLong(b);
            }
            out.writeLong(c.inFlight());
        }
    }

    private void readBudgets(DataInput in) throws IOException {
        int n = in.readInt();
        expect(n, budgets.cellCount(), "number of limits");
        int hubs = budgets.hubs().size();
        expect(in.readInt(), hubs, "number of hubs with a budget");
        List<Budgets.CellState> cells = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            String ref = in.readUTF();
            if (!budgets.hasCell(ref)) {
                throw new IOException("unknown limit " + ref);
            }
            long[] b = new long[hubs];
            for (int i = 0; i < hubs; i++) {
                b[i] = in.readLong();
            }
            cells.add(new Budgets.CellState(ref, b, in.readLong()));
        }
        budgets.restore(cells);
    }

    private void writeTransfers(DataOutput out) throws IOException {
        List<TransferLog.Transfer> all = log.transfers();
        out.writeInt(all.size());
        for (TransferLog.Transfer t : all) {
            out.writeUTF(t.id());
            out.writeInt(t.from());
            out.writeInt(t.to());
            writeUnits(out, t.sent());
            writeUnits(out, t.applied());
            out.writeInt(t.appliedFrom());
            out.writeInt(t.appliedTo());
        }
        List<String> finished = log.finished();
        out.writeInt(finished.size());
        for (String id : finished) {
            out.writeUTF(id);
        }
    }

    private void readTransfers(DataInput in) throws IOException {
        int n = in.readInt();
        expectCount(n, "transfers");
        List<TransferLog.Transfer> all = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            all.add(new TransferLog.Transfer(in.readUTF(), in.readInt(), in.readInt(), readUnits(in), readUnits(in),
                    in.readInt(), in.readInt()));
        }
        int f = in.readInt();
        expectCount(f, "finished transfers");
        List<String> finished = new ArrayList<>();
        for (int k = 0; k < f; k++) {
            finished.add(in.readUTF());
        }
        log.restore(all, finished);
    }

    /** Units by limit ref, sorted; -1 for none (null). */
    private static void writeUnits(DataOutput out, Map<String, Long> units) throws IOException {
        out.writeInt(units == null ? -1 : units.size());
        if (units != null) {
            for (var u : new TreeMap<>(units).entrySet()) {
                out.writeUTF(u.getKey());
                out.writeLong(u.getValue());
            }
        }
    }

    private static Map<String, Long> readUnits(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        expectCount(n, "transfer units");
        Map<String, Long> m = new LinkedHashMap<>();
        for (int k = 0; k < n; k++) {
            m.put(in.readUTF(), in.readLong());
        }
        return Map.copyOf(m);
    }

    private static void writeLease(DataOutput out, LeaseRecord l, int slot) throws IOException {
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
        out.writeInt(l.blockCalls());
    }

    private OpenLease readLease(DataInput in, int version) throws IOException {
        LeaseRecord l = new LeaseRecord(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readLong(),
                enumAt(Priority.values(), in.readByte(), "priority"), readNullable(in), readNullable(in),
                Instant.ofEpochMilli(in.readLong()), Instant.ofEpochMilli(in.readLong()), in.readUTF(), in.readUTF());
        int slot = in.readInt();
        if (version >= EngineState.BLOCKS_SINCE) {
            int calls = in.readInt();
            if (calls < 0 || calls > io.quotahub.engine.BlockPolicy.MAX_CALLS) {
                throw new IOException("engine state: implausible block of " + calls + " calls");
            }
            l = new LeaseRecord(l.leaseId(), l.hubId(), l.pool(), l.keyId(), l.tokens(), l.priority(), l.agentId(),
                    l.requestId(), l.grantedAt(), l.expiresAt(), l.holderDigest(), l.principal(), calls);
        }
        PoolState pool = pools.get().get(l.pool());
        KeyState key = pool == null ? null : pool.byId.get(l.keyId());
        if (key == null || slot < 0 || slot > budgets.hubs().size()) {
            throw new IOException("open lease of an unknown key or slot");
        }
        return new OpenLease(l, pool, key, slot);
    }

    // ---- primitives ------------------------------------------------------------------------------

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
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readLongString(DataInput in) throws IOException {
        int n = in.readInt();
        expectCount(n, "fingerprint length");
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    static void expect(int found, int expected, String what) throws IOException {
        if (found != expected) {
            throw new IOException("engine state has " + found + " " + what + ", this engine " + expected);
        }
    }

    static void expectCount(int n, String what) throws IOException {
        if (n < 0 || n > EngineState.MAX_COUNT) {
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
