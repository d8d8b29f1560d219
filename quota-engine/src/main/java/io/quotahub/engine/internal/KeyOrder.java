package io.quotahub.engine.internal;


import java.util.Arrays;
import java.util.Comparator;

/**
 * The keys of one pool in selection order, kept up to date incrementally so that a decision
 * examines the best candidates first and stops as soon as no other key can win, instead of
 * refreshing and admission-checking every key.
 *
 * <p>Two indexed binary heaps over the pool's keys, both guarded by the pool's lock:
 * <ul>
 *   <li><b>order</b>: by cached (room desc, temperature floor asc, config index asc). The room is the
 *       key's exact {@link KeyState#room()}: it only changes when the key's windows or budgets change
 *       (then the key is {@link #touch touched}, or all keys re-read after a budget change) or when
 *       a settled entry leaves a window (a time the due heap knows). The temperature floor
 *       ({@link Thermal#temperatureFloor}) is a lower bound of the key's temperature that only
 *       changes on a tick: error heat only adds to it.</li>
 *   <li><b>due</b>: by the next time ({@link KeyState#nextUpkeepAt}) at which refreshing the key
 *       ({@link KeyState#refresh}: window eviction, circuit, thermal observation, zone) could change
 *       anything. Until then, and until it is touched, a refresh of the key is a no-op, so a
 *       decision only refreshes the keys that are due or touched ({@link #upkeep}), in config
 *       order, exactly as refreshing every key would, and emits the same events.</li>
 * </ul>
 * {@link PoolState#choose} polls the order heap, checks each key's admission and stops at the
 * first key that no later key can beat ({@link #mayBeat}); it re-inserts the polled keys after.
 */
final class KeyOrder {

    private static final Comparator<KeyState> CONFIG_ORDER = Comparator.comparingInt(k -> k.index);

    private final KeyState[] keys;
    private final Budgets budgets;
    private long budgetsVersion = Long.MIN_VALUE;

    private final KeyState[] order;
    private int orderSize;
    private final KeyState[] due;
    private final KeyState[] touched;
    private int touchedCount;
    private final KeyState[] scratch;
    private final KeyState[] polled;
    private int polledCount;

    KeyOrder(KeyState[] keys, Budgets budgets) {
        this.keys = keys;
        this.budgets = budgets;
        int n = keys.length;
        this.order = new KeyState[n];
        this.due = new KeyState[n];
        this.touched = new KeyState[n];
        this.scratch = new KeyState[n];
        this.polled = new KeyState[n];
        for (int i = 0; i < n; i++) {
            KeyState k = keys[i];
            k.order = this;
            k.orderRoom = k.room();
            k.orderTemp = k.thermal.temperatureFloor();
            k.dueAt = Long.MIN_VALUE; // the first decision refreshes every key, as it always did
            order[i] = k;
            k.orderPos = i;
            due[i] = k;
            k.duePos = i;
        }
        orderSize = n;
        heapifyOrder();
    }

    // ---- keeping the order --------------------------------------------------------------------

    /** The key's windows or state changed outside a decision's refresh: refresh it at the next decision. */
    void touch(KeyState k) {
        if (!k.touched && !k.inUpkeep) {
            k.touched = true;
            if (!k.inTouchedList) {
                k.inTouchedList = true;
                touched[touchedCount++] = k;
            }
        }
    }

    /**
     * Refreshes, in config order, every key that is due at {@code now} or was touched, and puts
     * them where they now belong; re-reads every room after a budget change.
     */
    void upkeep(long now, Events events, String pool) {
        long v = budgets.version();
        if (v != budgetsVersion) {
            budgetsVersion = v;
            for (KeyState k : keys) {
                k.orderRoom = k.room();
            }
            heapifyOrder();
        }
        int n = 0;
        for (int i = 0; i < touchedCount; i++) {
            KeyState k = touched[i];
            touched[i] = null;
            k.inTouchedList = false;
            if (k.touched) {
                k.touched = false;
                k.inUpkeep = true;
                scratch[n++] = k;
            }
        }
        touchedCount = 0;
        while (keys.length > 0 && due[0].dueAt <= now) {
            KeyState k = due[0];
            k.dueAt = Long.MAX_VALUE; // to the bottom; back to its place in reposition
            siftDownDue(0);
            if (!k.inUpkeep) {
                k.inUpkeep = true;
                scratch[n++] = k;
            }
        }
        if (n == 0) {
            return;
        }
        if (n > 1) {
            Arrays.sort(scratch, 0, n, CONFIG_ORDER);
        }
        for (int i = 0; i < n; i++) {
            KeyState k = scratch[i];
            scratch[i] = null;
            k.refresh(now, events, pool);
            reposition(k, now);
            k.inUpkeep = false;
        }
    }

    /** After a grant, whose refresh the caller did: the key's new place, and it is no longer touched. */
    void granted(KeyState k, long now) {
        k.touched = false;
        reposition(k, now);
    }

    /** After a tick refreshed every key: every cache re-read, both heaps rebuilt, nothing touched. */
    void rebuild(long now) {
        budgetsVersion = budgets.version();
        for (int i = 0; i < touchedCount; i++) {
            touched[i].inTouchedList = false;
            touched[i] = null;
        }
        touchedCount = 0;
        for (KeyState k : keys) {
            k.touched = false;
            k.orderRoom = k.room();
            k.orderTemp = k.thermal.temperatureFloor();
            k.dueAt = k.nextUpkeepAt(now);
        }
        heapifyOrder();
        for (int i = (keys.length >>> 1) - 1; i >= 0; i--) {
            siftDownDue(i);
        }
    }

    private void reposition(KeyState k, long now) {
        k.orderRoom = k.room();
        k.orderTemp = k.thermal.temperatureFloor();
        if (k.orderPos >= 0) {
            siftOrder(k.orderPos);
        }
        k.dueAt = k.nextUpkeepAt(now);
        siftDue(k.duePos);
    }

    // ---- choosing -----------------------------------------------------------------------------

    /** The best candidate not examined yet in this decision, or null. */
    KeyState peek() {
        return orderSize == 0 ? null : order[0];
    }

    /** Takes the best candidate out until {@link #restore}. */
    KeyState poll() {
        KeyState k = order[0];
        KeyState last = order[--orderSize];
        order[orderSize] = null;
        k.orderPos = -1;
        if (orderSize > 0) {
            order[0] = last;
            last.orderPos = 0;
            siftDownOrder(0);
        }
        polled[polledCount++] = k;
        return k;
    }

    /** Puts back every key polled in this decision. */
    void restore() {
        for (int i = 0; i < polledCount; i++) {
            KeyState k = polled[i];
            polled[i] = null;
            order[orderSize] = k;
            k.orderPos = orderSize++;
            siftUpOrder(k.orderPos);
        }
        polledCount = 0;
    }

    /**
     * Can {@code next} (not examined yet; every key after it in the order is no better by the
     * cached order) still be chosen over {@code best}, whose exact room and temperature are given?
     * Its room is exact and its temperature is at least its floor.
     *
     * @param bestHealth the ordinal of best's health, or -1 if not computed yet
     */
    static boolean mayBeat(KeyState next, double bestRoom, double bestTemp, int bestHealth, KeyState best) {
        if (next.orderRoom != bestRoom) {
            return next.orderRoom > bestRoom;
        }
        if (next.orderTemp != bestTemp) {
            return next.orderTemp < bestTemp;
        }
        // same room, and its temperature is at least best's: it wins only on health or config order
        return next.index < best.index || bestHealth != 0;
    }

    // ---- heaps --------------------------------------------------------------------------------

    /** Selection order of the cached values: most room, then coolest floor, then config order. */
    private static boolean before(KeyState a, KeyState b) {
        if (a.orderRoom != b.orderRoom) {
            return a.orderRoom > b.orderRoom;
        }
        if (a.orderTemp != b.orderTemp) {
            return a.orderTemp < b.orderTemp;
        }
        return a.index < b.index;
    }

    private void heapifyOrder() {
        for (int i = (orderSize >>> 1) - 1; i >= 0; i--) {
            siftDownOrder(i);
        }
    }

    private void siftOrder(int i) {
        if (i > 0 && before(order[i], order[(i - 1) >>> 1])) {
            siftUpOrder(i);
        } else {
            siftDownOrder(i);
        }
    }

    private void siftUpOrder(int i) {
        KeyState k = order[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            KeyState p = order[parent];
            if (!before(k, p)) {
                break;
            }
            order[i] = p;
            p.orderPos = i;
            i = parent;
        }
        order[i] = k;
        k.orderPos = i;
    }

    private void siftDownOrder(int i) {
        KeyState k = order[i];
        int half = orderSize >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            KeyState c = order[child];
            int right = child + 1;
            if (right < orderSize && before(order[right], c)) {
                child = right;
                c = order[right];
            }
            if (!before(c, k)) {
                break;
            }
            order[i] = c;
            c.orderPos = i;
            i = child;
        }
        order[i] = k;
        k.orderPos = i;
    }

    private void siftDue(int i) {
        if (i > 0 && due[i].dueAt < due[(i - 1) >>> 1].dueAt) {
            siftUpDue(i);
        } else {
            siftDownDue(i);
        }
    }

    private void siftUpDue(int i) {
        KeyState k = due[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            KeyState p = due[parent];
            if (k.dueAt >= p.dueAt) {
                break;
            }
            due[i] = p;
            p.duePos = i;
            i = parent;
        }
        due[i] = k;
        k.duePos = i;
    }

    private void siftDownDue(int i) {
        KeyState k = due[i];
        int n = due.length;
        int half = n >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            KeyState c = due[child];
            int right = child + 1;
            if (right < n && due[right].dueAt < c.dueAt) {
                child = right;
                c = due[right];
            }
            if (c.dueAt >= k.dueAt) {
                break;
            }
            due[i] = c;
            c.duePos = i;
            i = child;
        }
        due[i] = k;
        k.duePos = i;
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------
    //
    // The lazy bookkeeping is part of the state: which keys a decision refreshes decides when a
    // key's throttle hysteresis observes it, so a restored engine must be exactly as lazy.

    /**
     * Per key (config order) its order values, due time and touched flag; the heap of the order and
     * the due heap and the touched list as key indexes.
     */
    record State(boolean budgetsCurrent, double[] room, double[] temp, long[] dueAt, boolean[] touched,
                 int[] order, int[] due, int[] touchedList) {
    }

    int size() {
        return keys.length;
    }

    State state() {
        int n = keys.length;
        double[] room = new double[n];
        double[] temp = new double[n];
        long[] dueAt = new long[n];
        boolean[] isTouched = new boolean[n];
        for (int i = 0; i < n; i++) {
            room[i] = keys[i].orderRoom;
            temp[i] = keys[i].orderTemp;
            dueAt[i] = keys[i].dueAt;
            isTouched[i] = keys[i].touched;
        }
        return new State(budgetsVersion == budgets.version(), room, temp, dueAt, isTouched, indexes(order, orderSize),
                indexes(due, due.length), indexes(touched, touchedCount));
    }

    private static int[] indexes(KeyState[] ks, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = ks[i].index;
        }
        return out;
    }

    /** Restores a state the codec checked: every array as long as the keys (or at most), indexes in range. */
    void restore(State s) {
        for (int i = 0; i < keys.length; i++) {
            KeyState k = keys[i];
            k.orderRoom = s.room()[i];
            k.orderTemp = s.temp()[i];
            k.dueAt = s.dueAt()[i];
            k.touched = s.touched()[i];
            k.inTouchedList = false;
            k.orderPos = -1;
        }
        orderSize = s.order().length;
        for (int i = 0; i < orderSize; i++) {
            order[i] = keys[s.order()[i]];
            order[i].orderPos = i;
        }
        for (int i = 0; i < keys.length; i++) {
            due[i] = keys[s.due()[i]];
            due[i].duePos = i;
        }
        touchedCount = s.touchedList().length;
        for (int i = 0; i < touchedCount; i++) {
            touched[i] = keys[s.touchedList()[i]];
            touched[i].inTouchedList = true;
        }
        budgetsVersion = s.budgetsCurrent() ? budgets.version() : Long.MIN_VALUE;
    }
}
