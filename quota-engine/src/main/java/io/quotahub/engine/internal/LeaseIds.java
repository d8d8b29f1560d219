package io.quotahub.engine.internal;


import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Lease ids {@code <hubId>-<epoch base36>-<seq base36>_<random base36>}: the epoch is the clock at
 * start, so ids of a restarted hub differ from the last run's; ids replayed from the ledger move the
 * counter past them, so a hub whose clock went back still cannot reuse one. Unique by (epoch, seq).
 *
 * <p>The suffix is {@value #RANDOM_DIGITS} base-36 digits of 64 bits from a CSPRNG, so that nobody
 * can name a lease he was not given (the hub still checks the lease secret; the id is not one).
 * It holds neither {@code -} nor {@code .}, so the hub and epoch still parse from the left and
 * {@link #parse} reads ids with and without it (ids written before it existed).
 *
 * <p>{@code <hubId>-<epoch>-} is formatted once per epoch (as Latin-1 bytes when the hub id allows);
 * a new id only writes its digits after it, in a reused buffer. Random bytes are drawn
 * {@value #RANDOM_BUFFER} at a time (DRBG: about 20 ns per id instead of about 600 for a draw per id).
 */
final class LeaseIds {

    private static final byte[] DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.ISO_8859_1);
    /** 36^13 > 2^64: 13 digits hold any 64 bits. */
    static final int RANDOM_DIGITS = 13;
    static final char SUFFIX = '_';
    private static final int RANDOM_BUFFER = 512;

    private final java.util.Random random;
    private final byte[] randomBytes = new byte[RANDOM_BUFFER];
    private int randomAt = RANDOM_BUFFER;

    private final String prefix;
    private final boolean latin1;
    private long epoch;
    private long seq;
    private String epochPrefix;
    private byte[] buffer;
    private int prefixLength;

    LeaseIds(String hubId, long startMillis) {
        this(hubId, startMillis, null);
    }

    /** @param random the suffixes' source; null: a CSPRNG (tests pass a seeded one to get the same ids twice) */
    LeaseIds(String hubId, long startMillis, java.util.Random random) {
        this.random = random != null ? random : newRandom();
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
            this.buffer = new byte[p.length + 14 + 1 + RANDOM_DIGITS];
            System.arraycopy(p, 0, buffer, 0, p.length);
        }
    }

    synchronized String next() {
        long s = seq++;
        long r = nextRandom();
        if (!latin1 || s < 0) {
            return epochPrefix + Long.toString(s, 36) + SUFFIX + randomDigits(r);
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
        b[end] = (byte) SUFFIX;
        end += 1 + RANDOM_DIGITS;
        writeUnsigned(r, b, end);
        return new String(b, 0, end, StandardCharsets.ISO_8859_1);
    }

    /** 64 random bits. */
    private long nextRandom() {
        if (randomAt > RANDOM_BUFFER - Long.BYTES) {
            random.nextBytes(randomBytes);
            randomAt = 0;
        }
        long r = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            r = (r << 8) | (randomBytes[randomAt++] & 0xff);
        }
        return r;
    }

    /** Writes {@code v} as {@value #RANDOM_DIGITS} base-36 digits (unsigned, zero-padded) ending before {@code end}. */
    private static void writeUnsigned(long v, byte[] b, int end) {
        int i = end - 1;
        b[i--] = DIGITS[(int) Long.remainderUnsigned(v, 36)];
        long rest = Long.divideUnsigned(v, 36); // now below 2^63: plain division
        for (; i >= end - RANDOM_DIGITS; i--) {
            b[i] = DIGITS[(int) (rest % 36)];
            rest /= 36;
        }
    }

    static String randomDigits(long v) {
        byte[] b = new byte[RANDOM_DIGITS];
        writeUnsigned(v, b, RANDOM_DIGITS);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static SecureRandom newRandom() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
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

    /**
     * {epoch, seq} of an id with this prefix (with or without the random suffix), or null if it is
     * not one of ours.
     */
    static long[] parse(String prefix, String leaseId) {
        if (leaseId == null || !leaseId.startsWith(prefix)) {
            return null;
        }
        int end = suffixStart(leaseId, prefix.length());
        if (end < 0) {
            return null;
        }
        String rest = leaseId.substring(prefix.length(), end);
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

    /**
     * Where the random suffix of an id starts (its {@code _}), or the id's length if it has none;
     * -1 if what follows the {@code _} is not base-36 digits. Looks from {@code from} on.
     */
    static int suffixStart(String id, int from) {
        int at = id.indexOf(SUFFIX, from);
        if (at < 0) {
            return id.length();
        }
        if (at == id.length() - 1) {
            return -1;
        }
        for (int i = at + 1; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
                return -1;
            }
        }
        return at;
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    /** The counter: (epoch, seq) of the next id. */
    synchronized long[] counter() {
        return new long[] {epoch, seq};
    }

    /** Moves past a snapshot's counter (never back: this run's epoch may already be newer). */
    synchronized void moveTo(long e, long s) {
        if (e > epoch || (e == epoch && s > seq)) {
            if (e != epoch) {
                setEpoch(e);
            }
            seq = s;
        }
    }
}
