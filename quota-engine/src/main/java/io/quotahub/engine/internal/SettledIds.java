package io.quotahub.engine.internal;


import java.util.HashMap;
import java.util.Map;

/**
 * Ids of settled leases, remembered long enough (lease TTL + the longest window) that a retried
 * or replayed settle is answered ALREADY_SETTLED instead of being charged twice; forgotten in
 * settle order after that, and capped, so memory stays bounded.
 *
 * <p>Compact: lease ids are {@code <hub>-<epoch base36>-<seq base36>_<random>} ({@link LeaseIds}), so
 * an id is kept as a bit (its seq) in a bitmap chunk of its prefix {@code <hub>-<epoch>-}, plus one
 * entry of the expiry queue (prefix number, seq, forget time: 20 bytes in primitive arrays), not
 * as objects (about 150 bytes per id in a concurrent map and queue). Any other id (not ending in a
 * canonical base-36 number, before the random suffix if any) is kept whole as its own prefix.
 * The random suffix is not kept: (hub, epoch, seq) names one lease already, and the suffix only
 * makes ids unguessable for their holders; a made-up suffix on a settled seq is answered
 * ALREADY_SETTLED, which changes nothing. Chunks and prefixes are freed when
 * their last id is forgotten. Thread-safe (one monitor; settles of different pools are short).
 */
final class SettledIds {

    static final int MAX_REMEMBERED = 1 << 20;

    private static final int CHUNK_SHIFT = 10;
    private static final int CHUNK_WORDS = (1 << CHUNK_SHIFT) / 64;
    private static final int NO_PREFIX = -1;

    private final long retentionMillis;

    // prefixes: "<hub>-<epoch>-" of well-formed ids, and whole ids of any other form (kept apart)
    private final Map<String, Integer> prefixes = new HashMap<>();
    private final Map<String, Integer> others = new HashMap<>();
    private String[] prefixName = new String[8];
    private boolean[] prefixIsOther = new boolean[8];
    private int[] prefixCount = new int[8];
    private int[] freePrefixes = new int[8];
    private int freeCount;
    private int prefixesUsed;
    private String lastPrefix;
    private int lastPrefixIndex = NO_PREFIX;

    // chunks: open addressing on (prefix, seq >>> CHUNK_SHIFT), linear probing
    private int[] chunkPrefix = emptyPrefixes(64);
    private long[] chunkNo = new long[64];
    private long[][] chunkBits = new long[64][];
    private int[] chunkCount = new int[64];
    private int chunks;

    // expiry queue in settle order: a ring
    private int[] queuePrefix = new int[1024];
    private long[] queueSeq = new long[1024];
    private long[] queueForgetAt = new long[1024];
    private int queueHead;
    private int size;

    // the id being looked at (set by parse)
    private int parsedPrefix;
    private long parsedSeq;

    SettledIds(long retentionMillis) {
        this.retentionMillis = retentionMillis;
    }

    synchronized void add(String leaseId, long now) {
        parse(leaseId, true);
        int p = parsedPrefix;
        long seq = parsedSeq;
        int slot = findChunk(p, seq >>> CHUNK_SHIFT);
        if (slot < 0) {
            slot = insertChunk(p, seq >>> CHUNK_SHIFT);
        }
        long[] bits = chunkBits[slot];
        int bit = (int) (seq & ((1 << CHUNK_SHIFT) - 1));
        long mask = 1L << bit;
        if ((bits[bit >>> 6] & mask) != 0) {
            return; // remembered already (a lease is settled once: not reached)
        }
        bits[bit >>> 6] |= mask;
        chunkCount[slot]++;
        prefixCount[p]++;
        enqueue(p, seq, Units.add(now, retentionMillis));
    }

    synchronized boolean contains(String leaseId) {
        if (!parse(leaseId, false)) {
            return false;
        }
        int slot = findChunk(parsedPrefix, parsedSeq >>> CHUNK_SHIFT);
        if (slot < 0) {
            return false;
        }
        int bit = (int) (parsedSeq & ((1 << CHUNK_SHIFT) - 1));
        return (chunkBits[slot][bit >>> 6] & (1L << bit)) != 0;
    }

    synchronized int size() {
        return size;
    }

    /** Forgets ids whose retention is over (and the oldest ones beyond the cap). */
    synchronized void prune(long now) {
        while (size > 0) {
            int i = queueHead;
            if (queueForgetAt[i] > now && size <= MAX_REMEMBERED) {
                return;
            }
            forget(queuePrefix[i], queueSeq[i]);
            queueHead = (queueHead + 1) % queuePrefix.length;
            size--;
        }
    }

    // ---- ids ----------------------------------------------------------------------------------

    /**
     * Sets parsedPrefix and parsedSeq for an id; with {@code create}, registers a new prefix.
     * @return false if the prefix is not known (and not created)
     */
    private boolean parse(String id, boolean create) {
        int dash = id.lastIndexOf('-');
        int suffix = dash < 0 ? -1 : id.indexOf(LeaseIds.SUFFIX, dash + 1);
        int len = suffix < 0 ? id.length() : suffix; // the suffix is not checked: it is not kept
        if (dash > 0 && canonicalBase36(id, dash + 1, len)) {
            try {
                long seq = Long.parseLong(id, dash + 1, len, 36);
                int plen = dash + 1;
                String last = lastPrefix;
                int p;
                if (last != null && last.length() == plen && id.startsWith(last)) {
                    p = lastPrefixIndex;
                } else {
                    String prefix = id.substring(0, plen);
                    Integer known = prefixes.get(prefix);
                    if (known == null) {
                        if (!create) {
                            return false;
                        }
                        known = newPrefix(prefix, false);
                        prefixes.put(prefix, known);
                    }
                    p = known;
                    lastPrefix = prefix;
                    lastPrefixIndex = p;
                }
                parsedPrefix = p;
                parsedSeq = seq;
                return true;
            } catch (NumberFormatException e) {
                // above Long.MAX_VALUE: kept whole below
            }
        }
        Integer known = others.get(id);
        if (known == null) {
            if (!create) {
                return false;
            }
            known = newPrefix(id, true);
            others.put(id, known);
        }
        parsedPrefix = known;
        parsedSeq = 0;
        return true;
    }

    /** Is {@code s[from, to)} a number as {@link Long#toString(long, int)} writes it in base 36 (no sign, no leading zero)? */
    static boolean canonicalBase36(String s, int from, int to) {
        if (from >= to || to - from > 13 || (s.charAt(from) == '0' && to - from > 1)) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
                return false;
            }
        }
        return true;
    }

    private int newPrefix(String name, boolean other) {
        int p;
        if (freeCount > 0) {
            p = freePrefixes[--freeCount];
        } else {
            p = prefixesUsed++;
            if (p == prefixName.length) {
                int n = p * 2;
                prefixName = java.util.Arrays.copyOf(prefixName, n);
                prefixIsOther = java.util.Arrays.copyOf(prefixIsOther, n);
                prefixCount = java.util.Arrays.copyOf(prefixCount, n);
                freePrefixes = java.util.Arrays.copyOf(freePrefixes, n);
            }
        }
        prefixName[p] = name;
        prefixIsOther[p] = other;
        prefixCount[p] = 0;
        return p;
    }

    private void forget(int p, long seq) {
        int slot = findChunk(p, seq >>> CHUNK_SHIFT);
        int bit = (int) (seq & ((1 << CHUNK_SHIFT) - 1));
        chunkBits[slot][bit >>> 6] &= ~(1L << bit);
        if (--chunkCount[slot] == 0) {
            removeChunk(slot);
        }
        if (--prefixCount[p] == 0) {
            (prefixIsOther[p] ? others : prefixes).remove(prefixName[p]);
            if (lastPrefixIndex == p) {
                lastPrefix = null;
                lastPrefixIndex = NO_PREFIX;
            }
            prefixName[p] = null;
            freePrefixes[freeCount++] = p;
        }
    }

    // ---- expiry queue -------------------------------------------------------------------------

    private void enqueue(int p, long seq, long forgetAt) {
        if (size == queuePrefix.length) {
            int n = size * 2;
            int[] qp = new int[n];
            long[] qs = new long[n];
            long[] qf = new long[n];
            for (int i = 0; i < size; i++) {
                int j = (queueHead + i) % size;
                qp[i] = queuePrefix[j];
                qs[i] = queueSeq[j];
                qf[i] = queueForgetAt[j];
            }
            queuePrefix = qp;
            queueSeq = qs;
            queueForgetAt = qf;
            queueHead = 0;
        }
        int tail = (queueHead + size) % queuePrefix.length;
        queuePrefix[tail] = p;
        queueSeq[tail] = seq;
        queueForgetAt[tail] = forgetAt;
        size++;
    }

    // ---- chunk table --------------------------------------------------------------------------

    private static int[] emptyPrefixes(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, NO_PREFIX);
        return a;
    }

    private static int hash(int p, long chunk) {
        long h = (chunk ^ ((long) p << 40)) * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    private int findChunk(int p, long chunk) {
        int mask = chunkPrefix.length - 1;
        for (int i = hash(p, chunk) & mask; ; i = (i + 1) & mask) {
            int q = chunkPrefix[i];
            if (q == NO_PREFIX) {
                return -1;
            }
            if (q == p && chunkNo[i] == chunk) {
                return i;
            }
        }
    }

    private int insertChunk(int p, long chunk) {
        if ((chunks + 1) * 2 > chunkPrefix.length) {
            resize(chunkPrefix.length * 2);
        }
        int mask = chunkPrefix.length - 1;
        int i = hash(p, chunk) & mask;
        while (chunkPrefix[i] != NO_PREFIX) {
            i = (i + 1) & mask;
        }
        chunkPrefix[i] = p;
        chunkNo[i] = chunk;
        chunkBits[i] = new long[CHUNK_WORDS];
        chunkCount[i] = 0;
        chunks++;
        return i;
    }

    /** Removes a slot, shifting back the entries of its probe run (no tombstones). */
    private void removeChunk(int slot) {
        int mask = chunkPrefix.length - 1;
        int hole = slot;
        for (int i = (slot + 1) & mask; chunkPrefix[i] != NO_PREFIX; i = (i + 1) & mask) {
            int home = hash(chunkPrefix[i], chunkNo[i]) & mask;
            // move i into the hole if its home is not in (hole, i] (cyclically)
            if (hole <= i ? (home <= hole || home > i) : (home <= hole && home > i)) {
                chunkPrefix[hole] = chunkPrefix[i];
                chunkNo[hole] = chunkNo[i];
                chunkBits[hole] = chunkBits[i];
                chunkCount[hole] = chunkCount[i];
                hole = i;
            }
        }
        chunkPrefix[hole] = NO_PREFIX;
        chunkBits[hole] = null;
        chunkCount[hole] = 0;
        chunks--;
        if (chunkPrefix.length > 64 && chunks * 8 < chunkPrefix.length) {
            resize(chunkPrefix.length / 2);
        }
    }

    private void resize(int n) {
        int[] op = chunkPrefix;
        long[] on = chunkNo;
        long[][] ob = chunkBits;
        int[] oc = chunkCount;
        chunkPrefix = emptyPrefixes(n);
        chunkNo = new long[n];
        chunkBits = new long[n][];
        chunkCount = new int[n];
        int mask = n - 1;
        for (int j = 0; j < op.length; j++) {
            if (op[j] != NO_PREFIX) {
                int i = hash(op[j], on[j]) & mask;
                while (chunkPrefix[i] != NO_PREFIX) {
                    i = (i + 1) & mask;
                }
                chunkPrefix[i] = op[j];
                chunkNo[i] = on[j];
                chunkBits[i] = ob[j];
                chunkCount[i] = oc[j];
            }
        }
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    /** A remembered id and when it is forgotten. */
    record Remembered(String id, long forgetAt) {
    }

    /** Every remembered id with its forget time, in settle order. */
    synchronized java.util.List<Remembered> remembered() {
        java.util.List<Remembered> out = new java.util.ArrayList<>(size);
        for (int k = 0; k < size; k++) {
            int i = (queueHead + k) % queuePrefix.length;
            int p = queuePrefix[i];
            out.add(new Remembered(prefixIsOther[p] ? prefixName[p] : prefixName[p] + Long.toString(queueSeq[i], 36),
                    queueForgetAt[i]));
        }
        return out;
    }

    /** Remembers {@code id} until {@code forgetAt} (restoring a snapshot, in its order). */
    synchronized void restore(String id, long forgetAt) {
        add(id, Units.sub(forgetAt, retentionMillis));
    }
}
