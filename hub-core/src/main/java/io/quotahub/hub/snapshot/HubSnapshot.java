package io.quotahub.hub.snapshot;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.zip.CRC32;

/**
 * A hub's folded state at a point of both ledgers: the engine's state and the fold's, and the
 * exact own-ledger and peer-copy sequences it covers (restart = this + the ledgers after those).
 * Binary: magic, format version, the sequences, the two states, a CRC-32 of all before it.
 */
public record HubSnapshot(String hubId, long ownSeq, long peerSeq, long takenAtMillis, long events,
                          byte[] engineState, byte[] foldState) {

    private static final int MAGIC = 0x5148534E; // "QHSN"
    /** Bump on any change of this layout: older snapshots are then refused (full replay). */
    public static final int FORMAT = 1;
    private static final int MAX_PART = 1 << 30;

    public SnapshotMark mark() {
        return new SnapshotMark(hubId, ownSeq, peerSeq, takenAtMillis, events);
    }

    public byte[] encode() {
        return encode(mark(), ChunkedBytes.of(engineState), ChunkedBytes.of(foldState)).toByteArray();
    }

    /** The encoding of a snapshot whose states are chunked: written as it is stored, with no array of its size. */
    static ChunkedBytes encode(SnapshotMark mark, ChunkedBytes engineState, ChunkedBytes foldState) {
        if (engineState.length() > MAX_PART || foldState.length() > MAX_PART) {
            throw new IllegalArgumentException("snapshot state of " + Math.max(engineState.length(), foldState.length())
                    + " bytes exceeds the format's " + MAX_PART);
        }
        ChunkedBytes bytes = new ChunkedBytes();
        try {
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeUTF(mark.hubId());
            out.writeLong(mark.ownSeq());
            out.writeLong(mark.peerSeq());
            out.writeLong(mark.takenAtMillis());
            out.writeLong(mark.events());
            out.writeInt((int) engineState.length());
            out.flush();
            bytes.append(engineState);
            out.writeInt((int) foldState.length());
            out.flush();
            bytes.append(foldState);
            out.writeLong(bytes.crc32());
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // in memory: not reached
        }
        return bytes;
    }

    /** @throws IOException with the reason if the bytes are not a whole snapshot of this format */
    public static HubSnapshot decode(byte[] bytes) throws IOException {
        if (bytes.length < 16) {
            throw new IOException("snapshot of " + bytes.length + " bytes is truncated");
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        long stored = new DataInputStream(new ByteArrayInputStream(bytes, bytes.length - 8, 8)).readLong();
        if (stored != crc.getValue()) {
            throw new IOException("snapshot checksum mismatch (corrupt or truncated)");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 8))) {
            if (in.readInt() != MAGIC) {
                throw new IOException("not a QuotaHub snapshot (bad magic)");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IOException("snapshot format " + format + ", this hub reads format " + FORMAT);
            }
            String hub = in.readUTF();
            long own = in.readLong();
            long peer = in.readLong();
            long at = in.readLong();
            long events = in.readLong();
            byte[] engine = part(in, "engine state");
            byte[] fold = part(in, "fold state");
            if (in.available() > 0) {
                throw new IOException("snapshot has " + in.available() + " unexpected bytes");
            }
            return new HubSnapshot(hub, own, peer, at, events, engine, fold);
        }
    }

    private static byte[] part(DataInputStream in, String what) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_PART || n > in.available()) {
            throw new IOException("snapshot " + what + " of " + n + " bytes does not fit");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
