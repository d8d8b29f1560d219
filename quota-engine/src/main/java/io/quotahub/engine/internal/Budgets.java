package io.quotahub.engine.internal;


import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per-hub budgets of every limit (docs/architecture.md, "Budgets and the split"). For a limit of capacity C each hub h holds
 * B_h units; a hub admits only while {@code used_h + cost <= B_h}. Invariants:
 * <ul>
 *   <li>I1: sum of B_h + units in flight between hubs &lt;= C (initial split by floor, transfers move
 *       units: the giver lowers its budget first, the receiver raises it when the transfer arrives);</li>
 *   <li>I2: a hub only gives away unused headroom (B_h - used_h), so used_h &lt;= B_h keeps holding.</li>
 * </ul>
 * Limits are named by a stable ref ({@code pool/key#i} or {@code pool#i}). Budget cells are read
 * on the hot path without locking (atomics); changes synchronise on the cell. The replication
 * protocol's events (Transfer, TransferApplied, Takeover) are folded in by {@link BudgetFold},
 * which also holds the owning pool's lock so that a change is atomic with admission.
 *
 * <p>Budgets are exact sums of the folded events' units (so their order does not matter), each
 * event's units clamped to the limit's capacity by {@link BudgetFold}; sums saturate as a last
 * guard ({@link Units}). Admission reads a budget clamped to [0, capacity]
 * ({@link SlidingWindow#budget()}).
 *
 * <p>Hubs are numbered by <em>slot</em>: their index in the sorted hub ids of the shares, plus
 * one last slot for leases of a hub that has no budget here (they count for all hubs only).
 */
public final class Budgets {

    private final List<String> hubs;
    private final Map<String, Integer> hubIndex = new HashMap<>();
    private final Map<String, Double> shares;
    private final int ownIndex;
    private final Map<String, Cell> cells = new ConcurrentHashMap<>();
    /** Moves on every change of any budget: key selection re-reads rooms when it moved. */
    private final AtomicLong version = new AtomicLong();

    public Budgets(Map<String, Double> shares, String ownHub) {
        List<String> sorted = new ArrayList<>(shares.keySet());
        Collections.sort(sorted);
        this.hubs = List.copyOf(sorted);
        for (int i = 0; i < hubs.size(); i++) {
            hubIndex.put(hubs.get(i), i);
        }
        this.shares = Map.copyOf(shares);
        Integer own = hubIndex.get(ownHub);
        if (own == null) {
            throw new IllegalArgumentException("budget shares do not include hub " + ownHub);
        }
        this.ownIndex = own;
    }

    /** One limit's budgets, one slot per hub. */
    public final class Cell {
        /** The configured capacity; a reload changes it ({@link #rebase}). */
        volatile long capacity;
        private final AtomicLongArray budgets;
        private long inFlight;
        /**
         * Units of this hub's budget held back after a reload raised the limit, until the peer has
         * folded the reload too (docs/architecture.md, "Changing limits in flight"): admission and
         * give-aways use {@link #usable()}. Never part of a snapshot (a restart starts on its file).
         */
        private volatile long held;
        /**
         * While a raise is held back, this hub admits at most the smallest capacity among the
         * configurations not yet folded by the peer (a budget above the old capacity was cut to it
         * before the raise, and must stay cut until the peer has the raise).
         */
        private volatile long heldCapacity = Long.MAX_VALUE;

        private Cell(long capacity, long[] initial) {
            this.capacity = capacity;
            this.budgets = new AtomicLongArray(initial);
        }

        /** This hub's budget. */
        public long own() {
            return budgets.get(ownIndex);
        }

        /** This hub's budget less the units a reload holds back: what it may admit against or give away. */
        long usable() {
            return Math.min(Units.sub(budgets.get(ownIndex), held), heldCapacity);
        }

        /**
         * A reload changed the capacity: every hub's budget moves by the change of its share of the
         * split (B_h += split_h(C') - split_h(C)), so the budgets are what a fresh start with C'
         * followed by the same events gives, whatever order the hubs fold a reload and transfers in,
         * and they still add up (with the units in flight) to the capacity (I1). When
         * {@code holdRaises}, this hub's gain is held back until {@link Budgets#releaseHolds}: it
         * admits under the smaller of its old and new budget.
         */
        synchronized void rebase(long newCapacity, boolean holdRaises) {
            long[] before = initialSplit(capacity);
            long[] after = initialSplit(newCapacity);
            for (int i = 0; i < before.length; i++) {
                budgets.set(i, Units.add(budgets.get(i), after[i] - before[i]));
            }
            if (holdRaises) {
                held = Math.max(0, Units.add(held, after[ownIndex] - before[ownIndex]));
                heldCapacity = Math.min(heldCapacity, capacity);
            }
            capacity = newCapacity;
            version.incrementAndGet();
        }

        /** Is anything of this hub's budget held back (units, or a capacity below the configured one)? */
        boolean holding() {
            return held > 0 || heldCapacity < capacity;
        }

        private synchronized void release() {
            if (held != 0 || heldCapacity != Long.MAX_VALUE) {
                held = 0;
                heldCapacity = Long.MAX_VALUE;
                version.incrementAndGet();
            }
        }

        public long of(String hub) {
            return budgets.get(index(hub));
        }

        /** Budget of the hub in {@code slot} (a slot of {@link #slot}, not the "other" slot). */
        public long ofSlot(int slot) {
            return budgets.get(slot);
        }

        /** Units in flight between hubs; negative never happens unless a fold was fed inconsistent events. */
        public synchronized long inFlight() {
            return inFlight;
        }

        /** Adds {@code delta} to the budget of the hub in {@code slot}. */
        synchronized void add(int slot, long delta) {
            budgets.set(slot, Units.add(budgets.get(slot), delta));
            version.incrementAndGet();
        }

        synchronized void addInFlight(long delta) {
            inFlight = Units.add(inFlight, delta);
        }

        int ownSlot() {
            return ownIndex;
        }

        /** Number of slots: one per hub with a budget, plus the "other hubs" slot. */
        int slots() {
            return hubs.size() + 1;
        }

        public synchronized long total() {
            long sum = inFlight;
            for (int i = 0; i < budgets.length(); i++) {
                sum = Units.add(sum, budgets.get(i));
            }
            return sum;
        }
    }

    /** Creates (or returns) the budgets of a limit, split by the configured shares. */
    public Cell register(String ref, long capacity) {
        return cells.computeIfAbsent(ref, r -> new Cell(capacity, initialSplit(capacity)));
    }

    private long[] initialSplit(long capacity) {
        double[] s = new double[hubs.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = shares.get(hubs.get(i));
        }
        return split(capacity, s);
    }

    /**
     * B_h = floor(share_h * C), trimmed so that rounding can never make the sum exceed C (I1).
     * When the shares add up to 1, the units rounding left over go to the hubs with the largest
     * fractions (ties: hub order), so no capacity is lost: a limit of 1 split 50/50 is not 0 + 0.
     * Every hub computes the same split from the same shares.
     */
    static long[] split(long capacity, double[] shares) {
        long[] out = new long[shares.length];
        long sum = 0;
        double total = 0;
        for (int i = 0; i < shares.length; i++) {
            out[i] = (long) Math.floor(Math.max(0, shares[i]) * capacity);
            sum += out[i];
            total += Math.max(0, shares[i]);
        }
        for (int i = out.length - 1; i >= 0 && sum > capacity; i--) {
            long cut = Math.min(out[i], sum - capacity);
            out[i] -= cut;
            sum -= cut;
        }
        if (total > 1 - 1e-9) {
            while (sum < capacity) {
                int best = 0;
                double bestFraction = -1;
                for (int i = 0; i < out.length; i++) {
                    double fraction = Math.max(0, shares[i]) * capacity - out[i];
                    if (fraction > bestFraction + 1e-12) {
                        best = i;
                        bestFraction = fraction;
                    }
                }
                out[best]++;
                sum++;
            }
        }
        return out;
    }

    /** A reload dropped the limit: its cell leaves the table (windows of open leases keep their own reference). */
    void unregister(String ref) {
        cells.remove(ref);
        version.incrementAndGet();
    }

    /** The peer has folded the reloads too: every raise held back is usable now. */
    void releaseHolds() {
        for (Cell c : cells.values()) {
            c.release();
        }
    }

    /** Is any unit of this hub's budgets held back after a reload? */
    boolean holding() {
        for (Cell c : cells.values()) {
            if (c.holding()) {
                return true;
            }
        }
        return false;
    }

    public Cell cell(String ref) {
        Cell c = cells.get(ref);
        if (c == null) {
            throw new IllegalArgumentException("no limit " + ref);
        }
        return c;
    }

    public List<String> refs() {
        return List.copyOf(cells.keySet());
    }

    public List<String> hubs() {
        return hubs;
    }

    public long budget(String ref, String hub) {
        return cell(ref).of(hub);
    }

    /**
     * Moves up to {@code units} of {@code from}'s unused headroom to {@code to} at once.
     * @param usedFrom {@code from}'s used units of the limit in the current window
     * @return the units moved (0 when there is no headroom)
     */
    public long transfer(String ref, String from, String to, long units, long usedFrom) {
        Cell c = cell(ref);
        synchronized (c) {
            long moved = giveAway(ref, from, units, usedFrom);
            receive(ref, to, moved);
            return moved;
        }
    }

    /** First half of a transfer: lowers {@code from}'s budget by at most its headroom; the units are in flight. */
    public long giveAway(String ref, String from, long units, long usedFrom) {
        Cell c = cell(ref);
        synchronized (c) {
            int i = index(from);
            long moved = headroomToGive(c.budgets.get(i), usedFrom, Units.amount(units, c.capacity));
            c.budgets.addAndGet(i, -moved);
            version.incrementAndGet();
            c.inFlight = Units.add(c.inFlight, moved);
            return moved;
        }
    }

    /** Second half of a transfer: the receiver raises its budget by units that were in flight. */
    public void receive(String ref, String to, long units) {
        Cell c = cell(ref);
        synchronized (c) {
            if (units < 0 || units > c.inFlight) {
                throw new IllegalArgumentException("cannot receive " + units + " units of " + ref + ", in flight " + c.inFlight);
            }
            c.inFlight -= units;
            c.budgets.set(index(to), Units.add(c.budgets.get(index(to)), units));
            version.incrementAndGet();
        }
    }

    /** Only unused headroom may leave a hub (keeps I2): min(requested, max(0, B - used)). */
    static long headroomToGive(long budget, long used, long requested) {
        return Math.max(0, Math.min(requested, Units.sub(budget, used)));
    }

    /** The slot of a hub: its index among the sorted hub ids, or the last slot for an unknown hub. */
    public int slot(String hub) {
        Integer i = hub == null ? null : hubIndex.get(hub);
        return i == null ? hubs.size() : i;
    }

    /** Is {@code slot} a hub with a budget (not the "other hubs" slot)? */
    public boolean hasBudget(int slot) {
        return slot >= 0 && slot < hubs.size();
    }

    /** Changes whenever a budget changes. */
    long version() {
        return version.get();
    }

    public int ownSlot() {
        return ownIndex;
    }

    private int index(String hub) {
        Integer i = hubIndex.get(hub);
        if (i == null) {
            throw new IllegalArgumentException("unknown hub " + hub);
        }
        return i;
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    /** One cell's budgets (one per hub, in {@link #hubs()} order) and in-flight units. */
    record CellState(String ref, long[] budgets, long inFlight) {
    }

    /** Every cell's state, by ref in sorted order. */
    List<CellState> cellStates() {
        List<String> refs = new ArrayList<>(cells.keySet());
        Collections.sort(refs);
        List<CellState> out = new ArrayList<>(refs.size());
        for (String ref : refs) {
            Cell c = cells.get(ref);
            synchronized (c) {
                long[] b = new long[hubs.size()];
                for (int i = 0; i < b.length; i++) {
                    b[i] = c.budgets.get(i);
                }
                out.add(new CellState(ref, b, c.inFlight));
            }
        }
        return out;
    }

    int cellCount() {
        return cells.size();
    }

    boolean hasCell(String ref) {
        return cells.containsKey(ref);
    }

    /** Restores cells the codec checked (known refs, one budget per hub). */
    void restore(List<CellState> states) {
        for (CellState s : states) {
            Cell c = cells.get(s.ref());
            synchronized (c) {
                for (int i = 0; i < hubs.size(); i++) {
                    c.budgets.set(i, s.budgets()[i]);
                }
                c.inFlight = s.inFlight();
            }
        }
        version.incrementAndGet();
    }
}
