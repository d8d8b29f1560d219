package io.quotahub.hub.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Bytes kept as a list of small arrays: what a snapshot is written into. A snapshot is megabytes;
 * as one array (and the copies a {@code ByteArrayOutputStream} makes while growing) it is a
 * "humongous" object in G1, whose allocation starts concurrent cycles and mixed collections that
 * pause the serving threads too. Chunks of {@value #CHUNK} bytes stay ordinary young objects, and
 * joining two of them adopts the other's chunks instead of copying them.
 */
final class ChunkedBytes extends OutputStream {

    /** Well under half a G1 region (1 MiB at the hub's heap size): never humongous. */
    static final int CHUNK = 64 * 1024;

    private final List<byte[]> chunks = new ArrayList<>();
    private int[] lengths = new int[16]; // bytes used of each chunk; the tail's is tailLength until sealed
    private byte[] tail; // the chunk being filled, owned by this object; null after an append
    private int tailLength;
    private long length;

    static ChunkedBytes of(byte[] bytes) {
        ChunkedBytes c = new ChunkedBytes();
        c.write(bytes, 0, bytes.length);
        return c;
    }

    long length() {
        return length;
    }

    @Override
    public void write(int b) {
        if (tail == null || tailLength == tail.length) {
            newTail();
        }
        tail[tailLength++] = (byte) b;
        length++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            if (tail == null || tailLength == tail.length) {
                newTail();
            }
            int n = Math.min(len, tail.length - tailLength);
            System.arraycopy(b, off, tail, tailLength, n);
            tailLength += n;
            length += n;
            off += n;
            len -= n;
        }
    }

    /** Appends {@code other}'s bytes by taking its chunks (no copy); {@code other} must not be written again. */
    void append(ChunkedBytes other) {
        seal();
        other.seal();
        for (int i = 0; i < other.chunks.size(); i++) {
            add(other.chunks.get(i), other.lengths[i]);
        }
        length += other.length;
        tail = null; // the adopted last chunk is not ours to fill
    }

    /** CRC-32 of all bytes so far. */
    long crc32() {
        seal();
        CRC32 crc = new CRC32();
        for (int i = 0; i < chunks.size(); i++) {
            crc.update(chunks.get(i), 0, lengths[i]);
        }
        return crc.getValue();
    }

    byte[] toByteArray() {
        seal();
        byte[] all = new byte[Math.toIntExact(length)];
        int at = 0;
        for (int i = 0; i < chunks.size(); i++) {
            System.arraycopy(chunks.get(i), 0, all, at, lengths[i]);
            at += lengths[i];
        }
        return all;
    }

    /** Reads all bytes in order; a read fills the caller's buffer across chunks (the object store chunks by it). */
    InputStream inputStream() {
        seal();
        return new InputStream() {
            private int chunk;
            private int pos;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int done = 0;
                while (done < len && chunk < chunks.size()) {
                    int left = lengths[chunk] - pos;
                    if (left == 0) {
                        chunk++;
                        pos = 0;
                        continue;
                    }
                    int n = Math.min(left, len - done);
                    System.arraycopy(chunks.get(chunk), pos, b, off + done, n);
                    pos += n;
                    done += n;
                }
                return done == 0 && len > 0 ? -1 : done;
            }

            @Override
            public void close() throws IOException {
                chunk = chunks.size();
            }
        };
    }

    private void newTail() {
        seal();
        tail = new byte[CHUNK];
        tailLength = 0;
        add(tail, 0);
    }

    /** Records the tail's length (kept in a field while it fills: no write touches the array of lengths). */
    private void seal() {
        if (tail != null) {
            lengths[chunks.size() - 1] = tailLength;
        }
    }

    private void add(byte[] chunk, int used) {
        if (chunks.size() == lengths.length) {
            lengths = java.util.Arrays.copyOf(lengths, lengths.length * 2);
        }
        chunks.add(chunk);
        lengths[chunks.size() - 1] = used;
    }
}
