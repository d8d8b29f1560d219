package io.quotahub.engine.internal;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.LimitObservation;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Zone;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import static io.quotahub.engine.internal.SnapshotCodec.enumAt;
import static io.quotahub.engine.internal.SnapshotCodec.expect;
import static io.quotahub.engine.internal.SnapshotCodec.expectCount;
import static io.quotahub.engine.internal.SnapshotCodec.readNullable;
import static io.quotahub.engine.internal.SnapshotCodec.writeNullable;

/**
 * The part of {@link SnapshotCodec}'s layout that is one pool: its windows, thermal state and
 * bookkeeping, each key's (windows, guard, thermal, burst guard, counters), then the key order.
 * Reads check what they read before a part is restored.
 */
final class PoolCodec {

    private PoolCodec() {
    }

    static void write(DataOutput out, PoolState p) throws IOException {
        out.writeUTF(p.name());
        writeWindows(out, p.windows);
        writeThermal(out, p.thermal);
        out.writeLong(p.refreshedAt);
        out.writeInt(p.inFlight);
        out.writeByte(p.zone.ordinal());
        out.writeInt(p.keys.length);
        for (KeyState k : p.keys) {
            writeKey(out, k);
        }
        writeOrder(out, p.order);
    }

    /** @param version the format version of the state being read (3 has no external use nor observed limits) */
    static void read(DataInput in, PoolState p, int version) throws IOException {
        String n = in.readUTF();
        if (!n.equals(p.name())) {
            throw new IOException("pool " + n + " where " + p.name() + " was expected");
        }
        readWindows(in, p.windows, "limits of pool " + n, version);
        readThermal(in, p.thermal);
        p.refreshedAt = in.readLong();
        p.inFlight = in.readInt();
        p.zone = enumAt(Zone.values(), in.readByte(), "zone");
        expect(in.readInt(), p.keys.length, "keys of pool " + n);
        for (KeyState k : p.keys) {
            readKey(in, k, version);
        }
        readOrder(in, p.order);
    }

    /** A key's state; its open leases are written with the engine's. */
    private static void writeKey(DataOutput out, KeyState k) throws IOException {
        out.writeUTF(k.id());
        writeWindows(out, k.windows);
        writeGuard(out, k.guard.state());
        writeThermal(out, k.thermal);
        out.writeBoolean(k.burst != null);
        if (k.burst != null) {
            BurstGuard.State b = k.burst.state();
            out.writeInt(b.ring().length);
            for (long t : b.ring()) {
                out.writeLong(t);
            }
            out.writeInt(b.next());
            out.writeInt(b.count());
        }
        out.writeLong(k.lastGrantAt);
        out.writeByte(k.zone.ordinal());
        out.writeLong(k.granted);
        out.writeLong(k.refused);
        out.writeLong(k.rateLimited);
        out.writeLong(k.errors);
        // since EngineState.PROVIDER_WORD_SINCE
        out.writeLong(k.externalBooked);
        out.writeInt(k.observed.length);
        for (LimitObservation o : k.observed) {
            out.writeBoolean(o != null);
            if (o != null) {
                out.writeLong(o.observed());
                out.writeLong(o.atMillis());
                out.writeUTF(o.hubId());
            }
        }
    }

    private static void readKey(DataInput in, KeyState k, int version) throws IOException {
        String id = in.readUTF();
        if (!id.equals(k.id())) {
            throw new IOException("key " + id + " where " + k.id() + " was expected");
        }
        readWindows(in, k.windows, "limits of key " + id, version);
        k.guard.restore(readGuard(in, version, id));
        readThermal(in, k.thermal);
        expect(in.readBoolean() ? 1 : 0, k.burst != null ? 1 : 0, "burst guard of key " + id);
        if (k.burst != null) {
            int size = k.burst.ringLength();
            expect(in.readInt(), size, "burst guard size");
            long[] ring = new long[size];
            for (int i = 0; i < size; i++) {
                ring[i] = in.readLong();
            }
            int next = in.readInt();
            int count = in.readInt();
            if (next < 0 || next >= size || count < 0 || count > size) {
                throw new IOException("burst guard position out of range");
            }
            k.burst.restore(new BurstGuard.State(ring, next, count));
        }
        k.lastGrantAt = in.readLong();
        k.zone = enumAt(Zone.values(), in.readByte(), "zone");
        k.granted = in.readLong();
        k.refused = in.readLong();
        k.rateLimited = in.readLong();
        k.errors = in.readLong();
        if (version < EngineState.PROVIDER_WORD_SINCE) {
            return;
        }
        k.externalBooked = in.readLong();
        expect(in.readInt(), k.observed.length, "observed limits of key " + id);
        for (int i = 0; i < k.observed.length; i++) {
            k.observed[i] = in.readBoolean()
                    ? new LimitObservation(p(k), id, i, in.readLong(), in.readLong(), in.readUTF()) : null;
            if (k.observed[i] != null && k.observed[i].observed() < 0) {
                throw new IOException("observed limit of key " + id + " is negative");
            }
            if (k.observed[i] != null && k.learnLimits) {
                k.windows[i].learn(k.observed[i].observed());
            }
        }
    }

    private static String p(KeyState k) {
        return k.pool;
    }

    private static void writeGuard(DataOutput out, KeyGuard.State g) throws IOException {
        out.writeInt(g.consecutiveFailures());
        out.writeInt(g.rateLimitStreak());
        out.writeLong(g.cooldownUntil());
        out.writeLong(g.blockedUntil());
        out.writeByte(g.circuit().ordinal());
        out.writeLong(g.openUntil());
        writeNullable(out, g.probeLeaseId());
        out.writeBoolean(g.disabled());
        out.writeLong(g.learnedMillis());
        out.writeLong(g.lastCooldownMillis());
        out.writeInt(g.successes());
    }

    /** Version 3 had no learning: a key restored from it has learned nothing. */
    private static KeyGuard.State readGuard(DataInput in, int version, String id) throws IOException {
        int failures = in.readInt();
        int streak = in.readInt();
        long cooldownUntil = in.readLong();
        long blockedUntil = in.readLong();
        CircuitState circuit = enumAt(CircuitState.values(), in.readByte(), "circuit state");
        long openUntil = in.readLong();
        String probe = readNullable(in);
        boolean disabled = in.readBoolean();
        long learned = 0;
        long last = 0;
        int successes = 0;
        if (version >= EngineState.LEARNED_COOLDOWN_SINCE) {
            learned = in.readLong();
            last = in.readLong();
            successes = in.readInt();
            if (learned < 0 || last < 0 || successes < 0) {
                throw new IOException("learned cooldown of key " + id + " is negative");
            }
        }
        return new KeyGuard.State(failures, streak, cooldownUntil, blockedUntil, circuit, openUntil, probe, disabled,
                learned, last, successes);
    }

    private static void writeThermal(DataOutput out, Thermal thermal) throws IOException {
        Thermal.State t = thermal.state();
        out.writeDouble(t.ewma());
        out.writeDouble(t.heat());
        out.writeLong(t.heatAt());
        out.writeInt(t.history().length);
        for (double h : t.history()) {
            out.writeDouble(h);
        }
        out.writeInt(t.ticks());
        out.writeBoolean(t.throttled());
        out.writeLong(t.belowSince());
        out.writeLong(t.throttleEvents());
        out.writeDouble(t.errorRate());
    }

    private static void readThermal(DataInput in, Thermal thermal) throws IOException {
        double ewma = in.readDouble();
        double heat = in.readDouble();
        long heatAt = in.readLong();
        expect(in.readInt(), thermal.historyLength(), "thermal history length");
        double[] history = new double[thermal.historyLength()];
        for (int i = 0; i < history.length; i++) {
            history[i] = in.readDouble();
        }
        thermal.restore(new Thermal.State(ewma, heat, heatAt, history, in.readInt(), in.readBoolean(), in.readLong(),
                in.readLong(), in.readDouble()));
    }

    /**
     * The key order's lazy bookkeeping is part of the state: which keys a decision refreshes decides
     * when a key's throttle hysteresis observes it, so a restored engine must be exactly as lazy.
     */
    private static void writeOrder(DataOutput out, KeyOrder order) throws IOException {
        KeyOrder.State s = order.state();
        out.writeBoolean(s.budgetsCurrent());
        out.writeInt(s.room().length);
        for (int i = 0; i < s.room().length; i++) {
            out.writeDouble(s.room()[i]);
            out.writeDouble(s.temp()[i]);
            out.writeLong(s.dueAt()[i]);
            out.writeBoolean(s.touched()[i]);
        }
        out.writeInt(s.order().length);
        writeInts(out, s.order());
        writeInts(out, s.due());
        out.writeInt(s.touchedList().length);
        writeInts(out, s.touchedList());
    }

    private static void readOrder(DataInput in, KeyOrder order) throws IOException {
        boolean budgetsCurrent = in.readBoolean();
        int n = order.size();
        expect(in.readInt(), n, "keys in the order");
        double[] room = new double[n];
        double[] temp = new double[n];
        long[] dueAt = new long[n];
        boolean[] touched = new boolean[n];
        for (int i = 0; i < n; i++) {
            room[i] = in.readDouble();
            temp[i] = in.readDouble();
            dueAt[i] = in.readLong();
            touched[i] = in.readBoolean();
        }
        int size = in.readInt();
        if (size < 0 || size > n) {
            throw new IOException("key order size " + size);
        }
        int[] heap = readKeyIndexes(in, size, n);
        int[] due = readKeyIndexes(in, n, n);
        int touchedCount = in.readInt();
        if (touchedCount < 0 || touchedCount > n) {
            throw new IOException("touched keys " + touchedCount);
        }
        int[] touchedList = readKeyIndexes(in, touchedCount, n);
        order.restore(new KeyOrder.State(budgetsCurrent, room, temp, dueAt, touched, heap, due, touchedList));
    }

    private static void writeInts(DataOutput out, int[] values) throws IOException {
        for (int v : values) {
            out.writeInt(v);
        }
    }

    private static int[] readKeyIndexes(DataInput in, int count, int keys) throws IOException {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = in.readInt();
            if (out[i] < 0 || out[i] >= keys) {
                throw new IOException("key index " + out[i] + " out of range");
            }
        }
        return out;
    }

    // ---- windows ---------------------------------------------------------------------------------

    private static void writeWindows(DataOutput out, SlidingWindow[] windows) throws IOException {
        out.writeInt(windows.length);
        for (SlidingWindow w : windows) {
            SlidingWindow.State s = w.state();
            out.writeLong(s.horizon());
            out.writeLong(s.settledAll());
            out.writeLong(s.unsettledAll());
            out.writeInt(s.settled().length);
            for (int i = 0; i < s.settled().length; i++) {
                out.writeLong(s.settled()[i]);
                out.writeLong(s.unsettled()[i]);
            }
            out.writeInt(s.times().length);
            for (int i = 0; i < s.times().length; i++) {
                out.writeLong(s.times()[i]);
                out.writeLong(s.amounts()[i]);
                out.writeByte(s.slots()[i]);
            }
            // since EngineState.PROVIDER_WORD_SINCE
            SlidingWindow.External x = s.external();
            out.writeLong(x.at());
            out.writeUTF(x.hub());
            out.writeLong(x.until());
            out.writeLong(x.level());
            for (long u : x.units()) {
                out.writeLong(u);
            }
        }
    }

    private static void readWindows(DataInput in, SlidingWindow[] windows, String what, int version) throws IOException {
        expect(in.readInt(), windows.length, what);
        for (SlidingWindow w : windows) {
            long horizon = in.readLong();
            long settledAll = in.readLong();
            long unsettledAll = in.readLong();
            int slots = w.slots();
            expect(in.readInt(), slots, "budget slots of " + w.ref);
            long[] settledBy = new long[slots];
            long[] unsettledBy = new long[slots];
            for (int i = 0; i < slots; i++) {
                settledBy[i] = in.readLong();
                unsettledBy[i] = in.readLong();
            }
            int n = in.readInt();
            expectCount(n, "window entries of " + w.ref);
            long[] times = new long[n];
            long[] amounts = new long[n];
            byte[] slotOf = new byte[n];
            for (int i = 0; i < n; i++) {
                times[i] = in.readLong();
                amounts[i] = in.readLong();
                slotOf[i] = in.readByte();
                if (amounts[i] <= 0 || amounts[i] > LimitSpec.MAX_CAPACITY) {
                    throw new IOException("window entry of " + w.ref + " has amount " + amounts[i]);
                }
                if (slotOf[i] < 0 || slotOf[i] >= slots) {
                    throw new IOException("window entry of " + w.ref + " has slot " + slotOf[i]);
                }
            }
            SlidingWindow.External x = new SlidingWindow.External(Long.MIN_VALUE, "", Long.MIN_VALUE, 0, new long[slots]);
            if (version >= EngineState.PROVIDER_WORD_SINCE) {
                x = new SlidingWindow.External(in.readLong(), in.readUTF(), in.readLong(), in.readLong(), new long[slots]);
                if (x.level() < 0 || x.level() > LimitSpec.MAX_CAPACITY) {
                    throw new IOException("external use of " + w.ref + " has level " + x.level());
                }
                for (int i = 0; i < slots; i++) {
                    x.units()[i] = in.readLong();
                    if (x.units()[i] < 0 || x.units()[i] > LimitSpec.MAX_CAPACITY) {
                        throw new IOException("external use of " + w.ref + " has " + x.units()[i] + " units");
                    }
                }
            }
            w.restore(new SlidingWindow.State(horizon, settledAll, unsettledAll, settledBy, unsettledBy, times, amounts, slotOf, x));
        }
    }
}
