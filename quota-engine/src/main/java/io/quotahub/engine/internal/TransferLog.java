package io.quotahub.engine.internal;


import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which transfers this engine has folded, so that each Transfer and each TransferApplied is
 * applied exactly once whatever order and duplicates a replay delivers them in. Pure bookkeeping:
 * it answers with the budget changes ({@link Delta}s) to make, the caller applies them.
 *
 * <p>Order: a TransferApplied that arrives before its Transfer is <em>buffered</em> (no effect)
 * and takes effect when the Transfer arrives, so budgets never count units twice and in-flight
 * never goes negative; the result after both events is the same in either order. The receiver
 * gets at most what the Transfer sent, per limit ({@code min(applied, sent)}); a TransferApplied
 * naming other hubs than its Transfer has no effect.
 *
 * <p>Memory: entries of finished transfers (both events seen) are forgotten oldest first beyond
 * {@link #MAX_FINISHED}; a duplicate of such an old event would then be applied again. Pending
 * ones are kept. Not thread-safe: {@link BudgetFold} serialises calls.
 */
final class TransferLog {

    static final int MAX_FINISHED = 1 << 16;

    /** A budget change: {@code units} added to the budget of {@code slot}, or to in-flight when slot is {@link #IN_FLIGHT}. */
    record Delta(String ref, int slot, long units) {
    }

    static final int IN_FLIGHT = -1;

    private static final class Entry {
        int from;
        int to;
        Map<String, Long> sent;
        Map<String, Long> applied;
        int appliedFrom;
        int appliedTo;
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private final ArrayDeque<String> finished = new ArrayDeque<>();

    /** Units the Transfer {@code id} sent, or null if no Transfer of that id was folded. */
    Map<String, Long> sent(String id) {
        Entry e = entries.get(id);
        return e == null ? null : e.sent;
    }

    /** Hub slot that sent transfer {@code id}; -1 if unknown. */
    int sender(String id) {
        Entry e = entries.get(id);
        return e == null || e.sent == null ? -1 : e.from;
    }

    /**
     * Folds a Transfer. @return the changes to make (empty for a duplicate): the sender's budget
     * falls and in-flight rises by the units (unless {@code sentApplied}: the caller already made
     * those, as a give-away does); plus the effect of a buffered TransferApplied.
     */
    List<Delta> onTransfer(String id, int from, int to, Map<String, Long> units, boolean sentApplied) {
        Entry e = entries.computeIfAbsent(id, k -> new Entry());
        if (e.sent != null) {
            return List.of();
        }
        e.from = from;
        e.to = to;
        e.sent = Map.copyOf(units);
        List<Delta> out = new ArrayList<>();
        if (!sentApplied) {
            for (var u : e.sent.entrySet()) {
                out.add(new Delta(u.getKey(), from, -u.getValue()));
                out.add(new Delta(u.getKey(), IN_FLIGHT, u.getValue()));
            }
        }
        if (e.applied != null) {
            receive(id, e, out);
        }
        return out;
    }

    /** Folds a TransferApplied. @return the changes to make: none if duplicate or buffered. */
    List<Delta> onApplied(String id, int from, int to, Map<String, Long> units) {
        Entry e = entries.computeIfAbsent(id, k -> new Entry());
        if (e.applied != null) {
            return List.of();
        }
        e.applied = Map.copyOf(units);
        e.appliedFrom = from;
        e.appliedTo = to;
        List<Delta> out = new ArrayList<>();
        if (e.sent != null) {
            receive(id, e, out);
        }
        return out;
    }

    private void receive(String id, Entry e, List<Delta> out) {
        if (e.appliedFrom == e.from && e.appliedTo == e.to) {
            for (var a : e.applied.entrySet()) {
                long units = Math.min(a.getValue(), e.sent.getOrDefault(a.getKey(), 0L));
                if (units > 0) {
                    out.add(new Delta(a.getKey(), IN_FLIGHT, -units));
                    out.add(new Delta(a.getKey(), e.to, units));
                }
            }
        }
        finished.add(id);
        while (finished.size() > MAX_FINISHED) {
            entries.remove(finished.poll());
        }
    }

    /**
     * Undoes a Transfer whose TransferApplied was not folded: forgets it (a later fold of the same
     * id applies it again). @return the changes to make, or null if there is nothing to undo
     */
    List<Delta> revert(String id) {
        Entry e = entries.get(id);
        if (e == null || e.sent == null || e.applied != null) {
            return null;
        }
        entries.remove(id);
        List<Delta> out = new ArrayList<>();
        for (var u : e.sent.entrySet()) {
            out.add(new Delta(u.getKey(), e.from, u.getValue()));
            out.add(new Delta(u.getKey(), IN_FLIGHT, -u.getValue()));
        }
        return out;
    }

    int size() {
        return entries.size();
    }

    static Map<String, Long> positive(Map<String, Long> units) {
        Map<String, Long> out = new HashMap<>();
        for (var u : units.entrySet()) {
            if (u.getValue() != null && u.getValue() > 0) {
                out.merge(Objects.requireNonNull(u.getKey()), u.getValue(), Long::sum);
            }
        }
        return out;
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    /** One transfer's entry; {@code sent}/{@code applied} null until folded. */
    record Transfer(String id, int from, int to, Map<String, Long> sent, Map<String, Long> applied,
                    int appliedFrom, int appliedTo) {
    }

    /** Every entry, in the log's own order (a restore puts them back in it). */
    List<Transfer> transfers() {
        List<Transfer> out = new ArrayList<>(entries.size());
        for (var en : entries.entrySet()) {
            Entry e = en.getValue();
            out.add(new Transfer(en.getKey(), e.from, e.to, e.sent, e.applied, e.appliedFrom, e.appliedTo));
        }
        return out;
    }

    List<String> finished() {
        return new ArrayList<>(finished);
    }

    void restore(List<Transfer> transfers, List<String> finishedIds) {
        entries.clear();
        finished.clear();
        for (Transfer t : transfers) {
            Entry e = new Entry();
            e.from = t.from();
            e.to = t.to();
            e.sent = t.sent();
            e.applied = t.applied();
            e.appliedFrom = t.appliedFrom();
            e.appliedTo = t.appliedTo();
            entries.put(t.id(), e);
        }
        finished.addAll(finishedIds);
    }
}
