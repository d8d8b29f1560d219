package io.quotahub.engine.internal;

import io.quotahub.engine.EngineStateException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The snapshot concern of {@link io.quotahub.engine.QuotaEngine}: takes the engine's whole state
 * consistently (under the budget fold's lock and every pool's, see {@link BudgetFold#underAllLocks})
 * and restores it into a fresh engine. The bytes are {@link SnapshotCodec}'s; this class owns the
 * locking, the pruning before a write and the indexes rebuilt after a read.
 */
public final class Snapshots {

    private final Clock clock;
    private final BudgetFold fold;
    private final SettledIds settled;
    private final Supplier<Map<String, PoolState>> pools;
    private final Map<String, OpenLease> leases;
    private final SnapshotCodec codec;

    Snapshots(Clock clock, BudgetFold fold, SettledIds settled, Supplier<Map<String, PoolState>> pools,
              Map<String, OpenLease> leases, SnapshotCodec codec) {
        this.clock = clock;
        this.fold = fold;
        this.settled = settled;
        this.pools = pools;
        this.leases = leases;
        this.codec = codec;
    }

    /** The whole state as bytes, consistent: no decision or fold is half-way. */
    public byte[] write() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        write(bytes);
        return bytes.toByteArray();
    }

    /**
     * The whole state written to {@code target} (not closed), as {@link #write()} gives it: a large
     * state then needs no single array holding all of it.
     */
    public void write(OutputStream target) {
        try {
            DataOutputStream out = new DataOutputStream(target);
            fold.underAllLocks(() -> {
                // What the next decision or tick evicts anyway is not worth writing: a replayed ledger
                // leaves every settle it folded in the windows until then (hundreds of thousands).
                long now = clock.millis();
                settled.prune(now);
                for (PoolState p : pools.get().values()) {
                    p.advance(now);
                    for (KeyState k : p.keys) {
                        k.advance(now);
                    }
                }
                codec.write(out);
            });
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Replaces this engine's state by one {@link #write written} for the same configuration. Only on
     * a fresh engine (nothing granted or folded yet): a failure leaves it half-restored, so callers
     * check the bytes on a scratch engine first.
     *
     * @throws EngineStateException  if the bytes are corrupt, truncated, of another format version or
     *                               of another configuration
     * @throws IllegalStateException if this engine is not fresh
     */
    public void read(byte[] state) throws EngineStateException {
        if (!leases.isEmpty() || settled.size() > 0) {
            throw new IllegalStateException("restore engine state only into a fresh engine");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            fold.underAllLocks(() -> restore(codec.read(in)));
            if (in.available() > 0) {
                throw new IOException(in.available() + " bytes after the end");
            }
        } catch (IOException | RuntimeException e) {
            throw new EngineStateException("cannot restore engine state: " + e.getMessage(), e);
        }
    }

    /** The open leases into the engine's maps; derived indexes rebuilt from them (not stored). */
    private void restore(List<OpenLease> restored) {
        for (OpenLease l : restored) {
            leases.put(l.id(), l);
            l.key.open.put(l.id(), l);
        }
        // by expiry, so each insertion is O(1)
        restored.sort(Comparator.comparingLong(l -> l.expiresAtMillis));
        for (OpenLease l : restored) {
            if (l.pool.shares != null) {
                l.pool.shares.record(l);
            }
        }
    }
}
