package io.quotahub.engine.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import java.nio.charset.StandardCharsets;

/**
 * Lease ids {@code <hubId>-<epoch base36>-<seq base36>}: the epoch is the clock at start, so ids of
 * a restarted hub differ from the last run's; ids replayed from the ledger move the counter past
 * them, so a hub whose clock went back still cannot reuse one. Ordered by (epoch, seq).
 *
 * <p>{@code <hubId>-<epoch>-} is formatted once per epoch (as Latin-1 bytes when the hub id allows);
 * a new id only writes its sequence number's digits after it, in a reused buffer.
 */
final class LeaseIds {

    private static final byte[] DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.ISO_8859_1);

    private final String prefix;
    private final boolean latin1;
    private long epoch;
    private long seq;
    private String epochPrefix;
    private byte[] buffer;
    private int prefixLength;

    LeaseIds(String hubId, long startMillis) {
        this.prefix = hubId + "-";
        this.latin1 = prefix.chars().allMatch(c -> c < 256);
        setEpoch(startMillis);
    }

    private void setEpoch(long epoch) {
        this.epoch = epoch;
        this.epochPrefix = prefix + Long.toString(epoch, 36) + "-";
        if (latin1) {
            byte[] p = epochPrefix.getBytes(StandardCharsets.ISO_8859_1);
            this.prefixLength = p.length;
            this.buffer = new byte[p.length + 14];
            System.arraycopy(p, 0, buffer, 0, p.length);
        }
    }

    synchronized String next() {
        long s = seq++;
        if (!latin1 || s < 0) {
            return epochPrefix + Long.toString(s, 36);
        }
        int digits = 1;
        for (long v = s / 36; v > 0; v /= 36) {
            digits++;
        }
        byte[] b = buffer;
        int end = prefixLength + digits;
        long v = s;
        for (int i = end - 1; i >= prefixLength; i--) {
            b[i] = DIGITS[(int) (v % 36)];
            v /= 36;
        }
        return new String(b, 0, end, StandardCharsets.ISO_8859_1);
    }

    /** Moves past an id read from a ledger, if it is one of this hub's. */
    synchronized void observe(String leaseId) {
        long[] parsed = parse(prefix, leaseId);
        if (parsed == null) {
            return;
        }
        if (parsed[0] > epoch || (parsed[0] == epoch && parsed[1] >= seq)) {
            if (parsed[0] != epoch) {
                setEpoch(parsed[0]);
            }
            seq = parsed[1] + 1;
        }
    }

    /** {epoch, seq} of an id with this prefix, or null if it is not one of ours. */
    static long[] parse(String prefix, String leaseId) {
        if (leaseId == null || !leaseId.startsWith(prefix)) {
            return null;
        }
        String rest = leaseId.substring(prefix.length());
        int dash = rest.lastIndexOf('-');
        if (dash <= 0 || dash == rest.length() - 1 || rest.indexOf('-') != dash) {
            return null;
        }
        try {
            return new long[] {Long.parseLong(rest.substring(0, dash), 36), Long.parseLong(rest.substring(dash + 1), 36)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ---- state (snapshots, see EngineState) ----------------------------------------------------

    synchronized void writeState(DataOutput out) throws IOException {
        out.writeLong(epoch);
        out.writeLong(seq);
    }

    /** Moves past the snapshot's counter (never back: this run's epoch may already be newer). */
    synchronized void readState(DataInput in) throws IOException {
        long e = in.readLong();
        long s = in.readLong();
        if (e > epoch || (e == epoch && s > seq)) {
            if (e != epoch) {
                setEpoch(e);
            }
            seq = s;
        }
    }
}
