package io.quotahub.engine.internal;


import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitSpec;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;

/**
 * The window of one limit (of a key or of a pool), exact under the rule of docs/architecture.md, "What a window counts": a lease occupies
 * capacity from its grant until it is settled (its reservation, counted as "unsettled"), and from
 * then on sits in the window at its settle time. Admission at t counts
 * {@code settled in (t - per - margin, t] + unsettled + cost <= budget}.
 *
 * <p>Settled entries are kept sorted by time in a growable array used as a queue (append at the
 * tail, evict at the head), with running sums, so a decision is amortised O(1). Settle times from
 * a ledger can arrive slightly out of order; they are inserted from the tail (short shift).
 * A calendar-day limit keeps the entries of the current local day (minus the margin) instead.
 *
 * <p>Sums cannot wrap: every amount entering the window is clamped to [0, {@link LimitSpec#MAX_CAPACITY}]
 * (callers clamp tighter, see {@link Accounting}), a release or an eviction subtracts exactly what
 * was added, and the sums saturate as a last guard ({@link Units}); so they are never negative.
 * Times add durations saturating too: an entry dated in the far future stays "never evicted"
 * instead of wrapping into the past (settle times are bounded by the caller, see
 * {@link EngineCore#settle}).
 *
 * <p>Sums are kept for all hubs' leases (what the provider sees, shown in views) and per hub
 * <em>slot</em> (see {@link Budgets#slot}): the hub whose budget a lease counts against. That is
 * the hub that granted it, until a takeover moves the slot of every lease of the dead hub to the
 * survivor ({@link #reattribute}). Admission checks this hub's slot. Not thread-safe: the owning
 * pool's lock guards it.
 *
 * <p>Over 400 lines on purpose: the queue, the running sums (all hubs and per slot) and the
 * calendar-day mode change together on every add, release and eviction; split across classes,
 * each sum would be kept consistent in two places.
 */
final class SlidingWindow {

    /** The configured limit; a reload may change its capacity ({@link #reconfigure}), nothing else. */
    LimitSpec spec;
    final String ref;
    private final long perMillis;
    private final long marginMillis;
    private final ZoneId zone;
    private final Budgets.Cell budget;
    /** The capacity enforced: the configured one unless a lower one was learned ({@link #learn}). */
    private long effective;
    /** The key whose window this is (null for a pool's): told of every change, see {@link KeyOrder}. */
    KeyState owner;
    /** Units one agent may hold unsettled at once with a fair-share policy, see {@link AgentShares}. */
    long agentCap;

    private long[] times = new long[16];
    private long[] amounts = new long[16];
    private byte[] slotOf = new byte[16];
    private int head;
    private int tail;

    private final int ownSlot;
    private final int otherSlot;
    private long settledAll;
    private long unsettledAll;
    private final long[] settled;
    private final long[] unsettled;
    /** Entries at or before this time are out of every future window (time only moves forward). */
    private long horizon = Long.MIN_VALUE;
    /** The latest time this window advanced to. */
    private long lastNow = Long.MIN_VALUE;
    private long dayStart = Long.MAX_VALUE;
    /**
     * The external-use level (docs/architecture.md, "External use"): the units of the latest
     * booking by (time, hub), per slot, counted until {@link #heldUntil}. A later booking replaces
     * it; an earlier one folded late changes nothing.
     */
    private final long[] external;
    private long externalAll;
    private long extAt = Long.MIN_VALUE;
    private String extHub = "";
    private long extUntil = Long.MIN_VALUE;
    /** The level the latest booking set (kept after it expired: what a later one adds to, see {@link #bookExternal}). */
    private long extLevel;
    private long nextDayStart = Long.MIN_VALUE;

    SlidingWindow(LimitSpec spec, String ref, long marginMillis, Budgets.Cell budget) {
        this.spec = spec;
        this.ref = ref;
        this.perMillis = Units.millis(spec.per());
        this.marginMillis = marginMillis;
        this.zone = spec.calendarDayZone();
        this.budget = budget;
        this.effective = spec.capacity();
        this.ownSlot = budget.ownSlot();
        this.otherSlot = budget.slots() - 1;
        this.settled = new long[budget.slots()];
        this.unsettled = new long[budget.slots()];
        this.external = new long[budget.slots()];
    }

    /** Units a lease of {@code tokens} costs in this limit. */
    long cost(long tokens) {
        return spec.kind() == LimitKind.TOKENS ? tokens : 1;
    }

    /** Units a lease of {@code calls} calls and {@code tokens} tokens in all costs in this limit (a block, docs/architecture.md, "Block leases"). */
    long cost(int calls, long tokens) {
        return spec.kind() == LimitKind.TOKENS ? tokens : calls;
    }

    /** Units this hub may still admit in this limit now: budget − used, never negative. */
    long free() {
        return Math.max(0, Units.sub(budget(), usedOwn()));
    }

    /** Evicts entries that left the window at {@code now}. */
    void advance(long now) {
        long cutoff = cutoff(now);
        lastNow = Math.max(lastNow, now);
        if (cutoff > horizon) {
            horizon = cutoff;
        }
        if (head < tail && times[head] <= horizon) {
            do {
                settledAll = Units.minus(settledAll, amounts[head]);
                settled[slotOf[head]] = Units.minus(settled[slotOf[head]], amounts[head]);
                head++;
            } while (head < tail && times[head] <= horizon);
            touch();
        }
        if (head == tail) {
            head = 0;
            tail = 0;
        }
        if (externalAll > 0 && now >= heldUntil()) {
            clearExternal();
            touch();
        }
    }

    private void clearExternal() {
        externalAll = 0;
        java.util.Arrays.fill(external, 0);
    }

    private void touch() {
        if (owner != null) {
            owner.touch();
        }
    }

    /**
     * A time after {@code now} (this window advanced to it) not later than the next eviction:
     * when the oldest entry leaves a sliding window, the next local midnight for a calendar day.
     */
    long nextEvictionAt(long now) {
        long ext = externalAll > 0 ? heldUntil() : Long.MAX_VALUE;
        if (head == tail) {
            return ext;
        }
        if (zone != null) {
            cutoff(now);
            return Math.min(ext, nextDayStart);
        }
        return Math.min(ext, Units.add(Units.add(times[head], perMillis), marginMillis));
    }

    /** Entries with a time at or before the cutoff are outside the window at {@code now}. */
    private long cutoff(long now) {
        if (zone == null) {
            return Units.sub(Units.sub(now, perMillis), marginMillis);
        }
        if (now >= nextDayStart || now < dayStart) {
            LocalDate day = Instant.ofEpochMilli(now).atZone(zone).toLocalDate();
            dayStart = day.atStartOfDay(zone).toInstant().toEpochMilli();
            nextDayStart = day.plusDays(1).atStartOfDay(zone).toInstant().toEpochMilli();
        }
        return dayStart - marginMillis - 1;
    }

    /** Test convenience: {@code ownLease} false stands for a lease of a hub without a budget here. */
    void reserve(long units, boolean ownLease) {
        reserve(units, ownLease ? ownSlot : otherSlot);
    }

    void release(long units, boolean ownLease) {
        release(units, ownLease ? ownSlot : otherSlot);
    }

    void charge(long time, long units, boolean ownLease) {
        charge(time, units, ownLease ? ownSlot : otherSlot);
    }

    /** An open lease counted against {@code slot} occupies {@code units} until released. */
    void reserve(long units, int slot) {
        long u = Units.amount(units);
        unsettledAll = Units.add(unsettledAll, u);
        unsettled[slot] = Units.add(unsettled[slot], u);
        touch();
    }

    /** Ends a reservation: {@code units} as passed to {@link #reserve}, so exactly what it added leaves. */
    void release(long units, int slot) {
        long u = Units.amount(units);
        unsettledAll = Units.minus(unsettledAll, u);
        unsettled[slot] = Units.minus(unsettled[slot], u);
        touch();
    }

    /**
     * Takeover: every unit counted against {@code from} (open or settled in the window) counts
     * against {@code to} from now on. O(entries in the window); takeovers are rare.
     */
    void reattribute(int from, int to) {
        if (from == to) {
            return;
        }
        touch();
        settled[to] = Units.add(settled[to], settled[from]);
        settled[from] = 0;
        unsettled[to] = Units.add(unsettled[to], unsettled[from]);
        unsettled[from] = 0;
        external[to] = Units.add(external[to], external[from]);
        external[from] = 0;
        for (int i = head; i < tail; i++) {
            if (slotOf[i] == from) {
                slotOf[i] = (byte) to;
            }
        }
    }

    /** Puts a settled lease into the window at {@code time}; dropped if it is already out. */
    void charge(long time, long units, int slot) {
        units = Units.amount(units);
        if (time <= horizon || units == 0) {
            return;
        }
        if (tail == times.length) {
            makeRoom();
        }
        int i = tail;
        while (i > head && times[i - 1] > time) {
            times[i] = times[i - 1];
            amounts[i] = amounts[i - 1];
            slotOf[i] = slotOf[i - 1];
            i--;
        }
        times[i] = time;
        amounts[i] = units;
        slotOf[i] = (byte) slot;
        tail++;
        settledAll = Units.add(settledAll, units);
        settled[slot] = Units.add(settled[slot], units);
        touch();
    }

    /**
     * Sets the external-use level (docs/architecture.md, "External use"): {@code unitsBySlot}
     * counted against each slot from {@code at} until {@code until} (at most one window after
     * {@code at}), replacing the level of every booking before it by (time, hub). A booking not
     * after the current one is ignored, so every fold order of the same bookings ends alike.
     *
     * @return the units this level adds to the one before it (0 if ignored or not higher)
     */
    long bookExternal(long at, String hub, long until, long[] unitsBySlot) {
        if (at < extAt || (at == extAt && hub.compareTo(extHub) <= 0)) {
            return 0;
        }
        long before = heldUntil() > at ? extLevel : 0;
        clearExternal();
        extAt = at;
        extHub = hub;
        extUntil = Math.min(until, Units.add(at, perMillis));
        long level = 0;
        for (int slot = 0; slot < external.length; slot++) {
            long u = Units.amount(unitsBySlot[slot]);
            external[slot] = u;
            level = Units.add(level, u);
        }
        extLevel = level;
        if (heldUntil() > lastNow) {
            externalAll = level;
        } else {
            clearExternal(); // already over where this window stands
        }
        touch();
        return Math.max(0, Units.sub(level, before));
    }

    /** Units of the external-use level counted now (0 once it expired). */
    long externalAll() {
        return externalAll;
    }

    /** The provider's reset of the current external-use level: until then the provider counts it. */
    long externalUntil() {
        return extUntil;
    }

    /**
     * When the current level stops counting: a sliding window holds it one window past the
     * provider's reset unless a report replaces it (docs/architecture.md, "External use"): an
     * outside caller that comes back every window is still counted when the hubs, full and
     * waiting, have no report to renew it with. A calendar day holds it until its reset.
     */
    private long heldUntil() {
        return zone != null ? extUntil : Units.add(extUntil, perMillis);
    }

    /** Is a booking at {@code at} by {@code hub} after the current one (would it replace it)? */
    boolean externalLaterThanCurrent(long at, String hub) {
        return at > extAt || (at == extAt && hub.compareTo(extHub) > 0);
    }

    /**
     * Units the hub in {@code slot} may still admit if no external use were booked: its budget
     * (within [0, capacity]) minus its own leases' use, at least 0. What a new external level,
     * which replaces the current one, is split by.
     */
    long roomWithoutExternal(int slot) {
        long b = scaled(budget.ofSlot(slot));
        return Math.max(0, Units.sub(b, Units.add(settled[slot], unsettled[slot])));
    }

    /** Units the hubs' own leases use (settled in the window and open), without external use. */
    long usedByHubs() {
        return Units.add(settledAll, unsettledAll);
    }

    /**
     * Settled units the window still counts at {@code now} (its margin) that a provider's window
     * of the same length no longer can: settled at or before {@code now - per}, so called before.
     * None for a calendar day (the provider's day ends when the hub's does).
     */
    long settledPastProviderWindow(long now) {
        if (zone != null) {
            return 0;
        }
        long edge = Units.sub(now, perMillis);
        long sum = 0;
        for (int i = head; i < tail && times[i] <= edge; i++) {
            sum = Units.add(sum, amounts[i]);
        }
        return sum;
    }

    /** Units of open leases of all hubs. */
    long unsettledAll() {
        return unsettledAll;
    }

    long perMillis() {
        return perMillis;
    }

    /**
     * The limit's capacity as the engine enforces it: the configured one, or a lower one a provider
     * reported, with learn-limits ({@link #learn}).
     */
    long capacity() {
        return effective;
    }

    /** Whether this limit is in shadow or canary mode: watched, not a protection of its key or pool. */
    boolean watched() {
        return !spec.enforcement().enforcesAll();
    }

    /**
     * Enforces {@code limit} (within [0, configured capacity]) instead of the configured capacity;
     * the configured capacity again for a limit at or above it. Every hub's budget is scaled by
     * effective / configured capacity, so the budgets, which stay exact sums of the folded events,
     * still add up to at most the limit (docs/architecture.md, "Observed limits").
     */
    void learn(long limit) {
        effective = Units.clamp(limit, 0, spec.capacity());
        touch();
    }

    /**
     * A reload changed the limit's capacity (same kind and length): the budgets are rebased
     * ({@link Budgets.Cell#rebase}); a learned lower limit stays in force if it is still lower.
     * Grants already in the window stay counted: above a lower limit it admits nothing until it drains.
     */
    void reconfigure(LimitSpec next, boolean holdRaises) {
        if (next.capacity() != spec.capacity()) {
            boolean learned = effective < spec.capacity();
            budget.rebase(next.capacity(), holdRaises);
            effective = learned ? Math.min(effective, next.capacity()) : next.capacity();
        }
        spec = next; // also when only its mode (enforce, shadow, canary) changed
        touch();
    }

    /** A budget of the configured capacity, scaled to the effective one (floor: the hubs' scaled budgets never add up to more). */
    private long scaled(long budget) {
        long b = Units.clamp(budget, 0, spec.capacity());
        if (effective == spec.capacity()) {
            return b;
        }
        if (Math.multiplyHigh(b, effective) == 0 && b * effective >= 0) {
            return b * effective / spec.capacity();
        }
        return java.math.BigInteger.valueOf(b).multiply(java.math.BigInteger.valueOf(effective))
                .divide(java.math.BigInteger.valueOf(spec.capacity())).longValueExact();
    }

    /**
     * Raw budget units this hub may give away now without its scaled budget falling below its use
     * (I2 under a learned limit): at most {@code requested}.
     */
    long givable(long requested) {
        long own = budget.usable();
        if (effective == spec.capacity()) {
            return Budgets.headroomToGive(own, usedOwn(), requested);
        }
        long used = usedOwn();
        long keep;
        if (used == 0) {
            keep = 0;
        } else if (effective == 0) {
            return 0;
        } else {
            // the least raw budget whose scaled value still holds the use: ceil(used * C / E)
            java.math.BigInteger[] qr = java.math.BigInteger.valueOf(used).multiply(java.math.BigInteger.valueOf(spec.capacity()))
                    .divideAndRemainder(java.math.BigInteger.valueOf(effective));
            java.math.BigInteger k = qr[1].signum() == 0 ? qr[0] : qr[0].add(java.math.BigInteger.ONE);
            keep = k.min(java.math.BigInteger.valueOf(Long.MAX_VALUE)).longValue();
        }
        return Math.max(0, Math.min(Units.amount(requested, spec.capacity()), Units.sub(own, keep)));
    }

    private void makeRoom() {
        int size = tail - head;
        int capacity = size * 2 < times.length ? times.length : times.length * 2;
        long[] t = new long[capacity];
        long[] a = new long[capacity];
        byte[] o = new byte[capacity];
        System.arraycopy(times, head, t, 0, size);
        System.arraycopy(amounts, head, a, 0, size);
        System.arraycopy(slotOf, head, o, 0, size);
        times = t;
        amounts = a;
        slotOf = o;
        head = 0;
        tail = size;
    }

    /** Units the window counts: all hubs' leases and the external-use level. */
    long usedAll() {
        return Units.add(Units.add(settledAll, unsettledAll), externalAll);
    }

    /** Units counted against this hub's budget (its own leases, those it took over, its share of external use). */
    long usedOwn() {
        return usedBy(ownSlot);
    }

    /** Units counted against the budget of the hub in {@code slot}. */
    long usedBy(int slot) {
        return Units.add(Units.add(settled[slot], unsettled[slot]), external[slot]);
    }

    /**
     * This hub's budget as admission uses it: within [0, capacity]. The stored budget is an exact
     * sum of the folded events (their order must not matter, see {@link BudgetFold}); only a fold
     * of inconsistent events could take it out of that range, and then it admits as if at the edge.
     */
    long budget() {
        return scaled(budget.usable());
    }

    Budgets.Cell budgetCell() {
        return budget;
    }

    /** Does a lease costing {@code cost} fit this hub's budget now? Call {@link #advance} first. */
    boolean admits(long cost) {
        return fits(usedOwn(), cost, budget());
    }

    /** The admission rule (docs/architecture.md, "Budgets and the split"): used_h + cost <= B_h. */
    static boolean fits(long usedOwn, long cost, long budget) {
        return Units.add(usedOwn, cost) <= budget;
    }

    /** Relative room left (0–1) of this hub's budget: what key selection maximises. */
    double room() {
        long b = budget();
        return b <= 0 ? 0 : Math.max(0, b - usedOwn()) / (double) b;
    }

    /**
     * Units that may still be added (by any hub) while {@link #utilisation} stays below {@code level}
     * (0–1): a block never takes a key to its thermal throttle by its reservation alone.
     */
    long unitsBelow(double level) {
        if (effective == 0) {
            return 0;
        }
        long used = usedAll();
        long u = Math.max(0, Units.sub((long) Math.floor(level * effective), used));
        while (u > 0 && Units.add(used, u) / (double) effective >= level) { // the same arithmetic as utilisation()
            u--;
        }
        return u;
    }

    /** Utilisation of the limit by all hubs (0–1), for the thermal model. */
    double utilisation() {
        return effective == 0 ? 1.0 : Math.min(1.0, usedAll() / (double) effective);
    }

    /**
     * Exact time until enough of this hub's settled units leave the window for {@code cost} to fit,
     * or -1 if settled units alone can never make room (unsettled leases block it).
     */
    long millisUntilFits(long now, long cost) {
        long need = Units.sub(Units.add(usedOwn(), cost), budget());
        if (need <= 0) {
            return 0;
        }
        long ext = external[ownSlot];
        if (need > Units.add(settled[ownSlot], ext)) {
            return -1;
        }
        if (zone != null) {
            cutoff(now);
            return Math.max(1, (need <= ext ? Math.min(heldUntil(), nextDayStart) : nextDayStart) - now);
        }
        long freed = 0;
        for (int i = head; i < tail; i++) {
            if (slotOf[i] == ownSlot) {
                long leaves = Units.add(Units.add(times[i], perMillis), marginMillis);
                if (ext > 0 && heldUntil() <= leaves) { // the external level leaves first
                    freed = Units.add(freed, ext);
                    ext = 0;
                    if (freed >= need) {
                        return Math.max(1, Units.sub(heldUntil(), now));
                    }
                }
                freed = Units.add(freed, amounts[i]);
                if (freed >= need) {
                    return Math.max(1, Units.sub(leaves, now));
                }
            }
        }
        if (ext > 0 && Units.add(freed, ext) >= need) {
            return Math.max(1, Units.sub(heldUntil(), now));
        }
        return -1;
    }

    /** When the oldest settled unit leaves the window; null if none is in it. */
    Instant resetAt(long now) {
        long at = nextEvictionAt(now);
        return at == Long.MAX_VALUE ? null : Instant.ofEpochMilli(at);
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    /** The window's stored state: its sums and its entries, oldest first. */
    record State(long horizon, long settledAll, long unsettledAll, long[] settled, long[] unsettled,
                 long[] times, long[] amounts, byte[] slots, External external) {
    }

    /** The external-use level's state: its booking (time, hub, until), the level it set, the units counted now per slot. */
    record External(long at, String hub, long until, long level, long[] units) {
    }

    /** Number of budget slots (hubs with a budget + the "other" slot). */
    int slots() {
        return settled.length;
    }

    State state() {
        return new State(horizon, settledAll, unsettledAll, settled.clone(), unsettled.clone(),
                java.util.Arrays.copyOfRange(times, head, tail), java.util.Arrays.copyOfRange(amounts, head, tail),
                java.util.Arrays.copyOfRange(slotOf, head, tail),
                new External(extAt, extHub, extUntil, extLevel, external.clone()));
    }

    /** Restores a state the codec checked (as many slots as this window, entries in range). */
    void restore(State s) {
        horizon = s.horizon();
        settledAll = s.settledAll();
        unsettledAll = s.unsettledAll();
        System.arraycopy(s.settled(), 0, settled, 0, settled.length);
        System.arraycopy(s.unsettled(), 0, unsettled, 0, unsettled.length);
        int n = s.times().length;
        int capacity = Math.max(16, Integer.highestOneBit(Math.max(1, n)) * 2);
        times = java.util.Arrays.copyOf(s.times(), capacity);
        amounts = java.util.Arrays.copyOf(s.amounts(), capacity);
        slotOf = java.util.Arrays.copyOf(s.slots(), capacity);
        head = 0;
        tail = n;
        External x = s.external();
        extAt = x.at();
        extHub = x.hub();
        extUntil = x.until();
        extLevel = x.level();
        System.arraycopy(x.units(), 0, external, 0, external.length);
        externalAll = 0;
        for (long u : external) {
            externalAll = Units.add(externalAll, u);
        }
        dayStart = Long.MAX_VALUE; // recomputed from the clock on the next cutoff
        nextDayStart = Long.MIN_VALUE;
    }
}
