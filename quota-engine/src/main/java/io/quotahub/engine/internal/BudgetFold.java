package io.quotahub.engine.internal;

import java.io.IOException;

import io.quotahub.engine.LimitRef;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.view.BudgetView;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Folds the budget events of the two-hub protocol (docs/architecture.md, "Budgets and the split", "Takeover and fence") into
 * {@link Budgets} and the windows: Transfer, TransferApplied, Takeover, and this hub's own
 * give-aways. Every change to a limit's budgets is made under its pool's lock, so it is atomic with
 * admission in that pool; the events themselves are serialised by one lock of their own, taken
 * before any pool lock (admission never takes it).
 *
 * <p>Budget changes are sums, so the budgets and in-flight units after a set of events do not
 * depend on their order (see {@link TransferLog} for a TransferApplied before its Transfer). A
 * takeover also moves every lease counted against the dead hub (open, and settled in a window)
 * to the survivor; leases of the dead hub folded later stay its own. Refs of limits this engine
 * does not have (configuration changed) and events naming a hub without a budget are ignored.
 */
public final class BudgetFold {

    /** One limit: where its window and budgets live. */
    private record Limit(LimitRef ref, PoolState pool, SlidingWindow window) {
        Budgets.Cell cell() {
            return window.budgetCell();
        }
    }

    private final Budgets budgets;
    private final Clock clock;
    private final Supplier<Collection<PoolState>> pools;
    /** The configured limits; replaced whole by {@link #rebuild} after a reload, under {@link #lock}. */
    private volatile Map<String, Limit> limits = Map.of();
    private volatile List<LimitRef> refs = List.of();
    private final TransferLog log = new TransferLog();
    private final Object lock = new Object();

    BudgetFold(Budgets budgets, Clock clock, Supplier<Collection<PoolState>> pools) {
        this.budgets = budgets;
        this.clock = clock;
        this.pools = pools;
        rebuild();
    }

    /** The table of limits from the pools configured now (at construction, and after a reload under every lock). */
    void rebuild() {
        Map<String, Limit> table = new LinkedHashMap<>();
        List<LimitRef> order = new ArrayList<>();
        for (PoolState p : pools.get()) {
            for (int i = 0; i < p.windows.length; i++) {
                add(table, LimitRef.ofPool(p.name(), i), p, p.windows[i], order);
            }
            for (KeyState k : p.keys) {
                for (int i = 0; i < k.windows.length; i++) {
                    add(table, LimitRef.ofKey(p.name(), k.id(), i), p, k.windows[i], order);
                }
            }
        }
        this.limits = table;
        this.refs = List.copyOf(order);
    }

    private static void add(Map<String, Limit> table, LimitRef ref, PoolState pool, SlidingWindow window, List<LimitRef> order) {
        if (table.putIfAbsent(ref.toString(), new Limit(ref, pool, window)) == null) {
            order.add(ref);
        }
    }

    /** Runs {@code body} holding the fold's lock and every pool's (a reload). */
    void underAllLocksNoIo(Runnable body) {
        try {
            underAllLocks((IoBody) body::run);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // the body does no I/O
        }
    }

    /** Every limit: per pool in configuration order, the pool's limits, then each key's. */
    public List<LimitRef> refs() {
        return refs;
    }

    public List<BudgetView> table() {
        long now = clock.millis();
        List<String> hubs = budgets.hubs();
        List<BudgetView> out = new ArrayList<>(limits.size());
        PoolState locked = null;
        List<Limit> batch = new ArrayList<>();
        for (Limit l : limits.values()) {
            if (l.pool != locked && !batch.isEmpty()) {
                readPool(locked, batch, now, hubs, out);
                batch.clear();
            }
            locked = l.pool;
            batch.add(l);
        }
        if (!batch.isEmpty()) {
            readPool(locked, batch, now, hubs, out);
        }
        return List.copyOf(out);
    }

    private static void readPool(PoolState pool, List<Limit> batch, long now, List<String> hubs, List<BudgetView> out) {
        synchronized (pool) {
            for (Limit l : batch) {
                l.window.advance(now);
                Map<String, Long> budget = new HashMap<>();
                Map<String, Long> used = new HashMap<>();
                for (int i = 0; i < hubs.size(); i++) {
                    budget.put(hubs.get(i), l.cell().ofSlot(i));
                    used.put(hubs.get(i), l.window.usedBy(i));
                }
                out.add(new BudgetView(l.ref, l.window.spec.capacity(), budget, used, Math.max(0, l.cell().inFlight())));
            }
        }
    }

    /** The budget of {@code hub} of every limit where it is not zero; empty for an unknown hub. */
    public Map<LimitRef, Long> budgetsOf(String hub) {
        int slot = budgets.slot(hub);
        Map<LimitRef, Long> out = new LinkedHashMap<>();
        if (!budgets.hasBudget(slot)) {
            return out;
        }
        for (Limit l : limits.values()) {
            long b = l.cell().ofSlot(slot);
            if (b != 0) {
                out.put(l.ref, b);
            }
        }
        return out;
    }

    public Map<LimitRef, Long> giveAway(String id, String toHub, Map<LimitRef, Long> requested) {
        int own = budgets.ownSlot();
        int to = budgets.slot(toHub);
        if (!budgets.hasBudget(to) || to == own) {
            throw new IllegalArgumentException("cannot give budget to " + toHub + ": not another hub with a budget");
        }
        synchronized (lock) {
            Map<String, Long> done = log.sent(id);
            if (done != null) {
                if (log.sender(id) != own) {
                    throw new IllegalArgumentException("transfer id " + id + " is a transfer of another hub");
                }
                return toRefs(done);
            }
            Map<String, Long> moved = new HashMap<>();
            for (Map.Entry<PoolState, List<Map.Entry<Limit, Long>>> perPool : byPool(known(requested, false)).entrySet()) {
                synchronized (perPool.getKey()) {
                    long now = clock.millis();
                    for (Map.Entry<Limit, Long> r : perPool.getValue()) {
                        Limit l = r.getKey();
                        l.window.advance(now);
                        long units = l.window.givable(r.getValue());
                        if (units > 0) {
                            l.cell().add(own, -units);
                            l.cell().addInFlight(units);
                            moved.put(l.ref.toString(), units);
                        }
                    }
                }
            }
            if (!moved.isEmpty()) {
                apply(log.onTransfer(id, own, to, moved, true));
            }
            return toRefs(moved);
        }
    }

    public void applyTransfer(String id, String fromHub, String toHub, Map<LimitRef, Long> units) {
        int from = budgets.slot(fromHub);
        int to = budgets.slot(toHub);
        if (!budgets.hasBudget(from) || !budgets.hasBudget(to) || from == to) {
            return;
        }
        Map<String, Long> known = toStrings(known(units, false));
        synchronized (lock) {
            apply(log.onTransfer(id, from, to, known, false));
        }
    }

    public void applyTransferApplied(String id, String fromHub, String toHub, Map<LimitRef, Long> units) {
        int from = budgets.slot(fromHub);
        int to = budgets.slot(toHub);
        if (!budgets.hasBudget(from) || !budgets.hasBudget(to) || from == to) {
            return;
        }
        Map<String, Long> known = toStrings(known(units, false));
        synchronized (lock) {
            apply(log.onApplied(id, from, to, known));
        }
    }

    public boolean revert(String id) {
        synchronized (lock) {
            if (log.sender(id) != budgets.ownSlot()) {
                return false;
            }
            List<TransferLog.Delta> undo = log.revert(id);
            if (undo == null) {
                return false;
            }
            apply(undo);
            return true;
        }
    }

    public void applyTakeover(String fromHub, String toHub, Map<LimitRef, Long> units) {
        int from = budgets.slot(fromHub);
        int to = budgets.slot(toHub);
        if (!budgets.hasBudget(from) || !budgets.hasBudget(to) || from == to) {
            return;
        }
        Map<PoolState, List<Map.Entry<Limit, Long>>> moves = byPool(known(units, true));
        synchronized (lock) {
            for (PoolState pool : pools.get()) {
                synchronized (pool) {
                    for (Map.Entry<Limit, Long> m : moves.getOrDefault(pool, List.of())) {
                        m.getKey().cell().add(from, -m.getValue());
                        m.getKey().cell().add(to, m.getValue());
                    }
                    reattribute(pool, from, to);
                }
            }
            if (to == budgets.ownSlot()) {
                // the peer grants nothing more until it has folded everything, a reload included:
                // what a reload held back for it is this hub's to use (the peer's budget is, too)
                budgets.releaseHolds();
            }
        }
    }

    /** Every lease of the pool counted against {@code from}, open or in a window, now counts against {@code to}. */
    private static void reattribute(PoolState pool, int from, int to) {
        for (SlidingWindow w : pool.windows) {
            w.reattribute(from, to);
        }
        for (KeyState k : pool.keys) {
            for (SlidingWindow w : k.windows) {
                w.reattribute(from, to);
            }
            for (OpenLease l : k.open.values()) {
                if (l.slot == from) {
                    l.slot = to;
                }
            }
        }
    }

    /** Applies changes, each pool's under its lock at once. Caller holds {@link #lock}. */
    private void apply(List<TransferLog.Delta> deltas) {
        if (deltas.isEmpty()) {
            return;
        }
        Map<PoolState, List<TransferLog.Delta>> perPool = new LinkedHashMap<>();
        for (TransferLog.Delta d : deltas) {
            Limit l = limits.get(d.ref());
            if (l != null) {
                perPool.computeIfAbsent(l.pool, p -> new ArrayList<>()).add(d);
            }
        }
        for (var e : perPool.entrySet()) {
            synchronized (e.getKey()) {
                for (TransferLog.Delta d : e.getValue()) {
                    Budgets.Cell cell = limits.get(d.ref()).cell();
                    if (d.slot() == TransferLog.IN_FLIGHT) {
                        cell.addInFlight(d.units());
                    } else {
                        cell.add(d.slot(), d.units());
                    }
                }
            }
        }
    }

    /**
     * The entries of limits this engine has, with non-zero units (positive only unless {@code signed}),
     * each clamped to the largest capacity a limit may have: no event moves more than a whole limit,
     * however many units it names, so budgets stay sums of bounded amounts (see {@link Units}). The
     * bound is the same for every configuration, so both hubs clamp an event alike even when one
     * folds it before a reload changed the limit and the other after.
     */
    private Map<Limit, Long> known(Map<LimitRef, Long> units, boolean signed) {
        Map<Limit, Long> out = new LinkedHashMap<>();
        if (units == null) {
            return out;
        }
        for (Map.Entry<LimitRef, Long> u : units.entrySet()) {
            Long n = u.getValue();
            Limit l = u.getKey() == null ? null : limits.get(u.getKey().toString());
            if (l != null && n != null && (signed ? n != 0 : n > 0)) {
                out.merge(l, n, Units::add);
            }
        }
        out.replaceAll((l, n) -> Units.clamp(n, signed ? -LimitSpec.MAX_CAPACITY : 0, LimitSpec.MAX_CAPACITY));
        out.values().removeIf(n -> n == 0);
        return out;
    }

    private static Map<PoolState, List<Map.Entry<Limit, Long>>> byPool(Map<Limit, Long> units) {
        Map<PoolState, List<Map.Entry<Limit, Long>>> out = new LinkedHashMap<>();
        for (Map.Entry<Limit, Long> u : units.entrySet()) {
            out.computeIfAbsent(u.getKey().pool, p -> new ArrayList<>()).add(u);
        }
        return out;
    }

    private static Map<String, Long> toStrings(Map<Limit, Long> units) {
        Map<String, Long> out = new HashMap<>();
        units.forEach((l, n) -> out.put(l.ref.toString(), n));
        return out;
    }

    private Map<LimitRef, Long> toRefs(Map<String, Long> units) {
        Map<LimitRef, Long> out = new LinkedHashMap<>();
        for (LimitRef r : refs) {
            Long n = units.get(r.toString());
            if (n != null && n != 0) {
                out.put(r, n);
            }
        }
        return out;
    }

    // ---- state (snapshots, see SnapshotCodec) ----------------------------------------------------

    /** Runs {@code body} holding the fold's lock and every pool's, in the order the fold takes them. */
    void underAllLocks(IoBody body) throws IOException {
        synchronized (lock) {
            lockPools(new ArrayList<>(pools.get()), 0, body);
        }
    }

    private static void lockPools(List<PoolState> all, int i, IoBody body) throws IOException {
        if (i == all.size()) {
            body.run();
            return;
        }
        synchronized (all.get(i)) {
            lockPools(all, i + 1, body);
        }
    }

    /** The transfers folded so far (snapshots). */
    TransferLog log() {
        return log;
    }

    /** A body run under every lock of the engine that may fail with I/O. */
    @FunctionalInterface
    interface IoBody {
        void run() throws IOException;
    }
}
