package io.quotahub.engine.internal;

import io.quotahub.engine.ExternalUse;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitObservation;
import io.quotahub.engine.ProviderFeedback;
import io.quotahub.engine.ReportedLimit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the provider's word changes (docs/architecture.md, "External use", "Observed limits"): a
 * report read at a settle is matched to the key's limits; a remaining count below what the hubs
 * believe remains is booked as external use, and a reported limit below the configured one is
 * recorded. The decisions ({@link #observe}) and their folds ({@link #book}, {@link #record}) are
 * separate so that the hub that decided, its peer and a replay apply exactly the same events.
 * Caller holds the pool's lock.
 */
final class ProviderReports {

    private ProviderReports() {
    }

    /**
     * The key limit a reported limit describes: one of the same kind whose window holds the
     * provider's reset (the shortest such window); without a reset, the key's only limit of that
     * kind. @return its index, or -1 when none matches
     */
    static int match(KeyState key, ReportedLimit r) {
        LimitKind kind = r.kind().counts();
        int best = -1;
        long bestPer = Long.MAX_VALUE;
        int ofKind = 0;
        int only = -1;
        for (int i = 0; i < key.windows.length; i++) {
            SlidingWindow w = key.windows[i];
            if (w.spec.kind() != kind) {
                continue;
            }
            ofKind++;
            only = i;
            if (r.resetAfterMillis() != null && r.resetAfterMillis() <= w.perMillis() && w.perMillis() < bestPer) {
                best = i;
                bestPer = w.perMillis();
            }
        }
        if (r.resetAfterMillis() == null) {
            return ofKind == 1 ? only : -1;
        }
        return best;
    }

    /** Values the engine can count (the hub refuses others before; a report from elsewhere is ignored). */
    static boolean plausible(ReportedLimit r) {
        return inRange(r.limit()) && inRange(r.remaining()) && inRange(r.resetAfterMillis());
    }

    private static boolean inRange(Long v) {
        return v == null || (v >= 0 && v <= io.quotahub.engine.LimitSpec.MAX_CAPACITY);
    }

    /**
     * The external use the provider counts now: what would remain if only the hubs' own leases
     * counted (the capacity minus both hubs' settled and open leases, no external use, nor what
     * the window keeps only for its settle margin) minus what
     * the provider says remains, less the units of the leases still open on the key once more. An
     * open lease is counted by the hub at its reservation, but the provider may have counted its
     * call already, at another size (tokens), or a peer's grant this hub has not folded yet:
     * allowing for them again means honest traffic in flight is never booked as external; the next
     * reports, once those leases settled, count whatever external use remains. Within [0, capacity].
     */
    static long level(SlidingWindow w, long capacity, long remaining, long now) {
        // the settle margin: calls the hubs still count that the provider's window has dropped
        long own = Units.sub(w.usedByHubs(), w.settledPastProviderWindow(now));
        long ownRemaining = Units.sub(capacity, own);
        return Units.clamp(Units.sub(Units.sub(ownRemaining, remaining), w.unsettledAll()), 0, capacity);
    }

    /**
     * The level a report showing {@code level} at {@code now}, counted until {@code until}, books,
     * or -1 for none. A higher level replaces the current one at once. Until the current one's
     * reset, a level of at least one unit renews it once half of the new one's time has passed (at
     * the current level if that is higher), and no report lowers it: the hub counts its own calls
     * from their settle (a call in flight longer), the provider from their start, so reports regularly
     * show a unit or two more remaining than the hubs' own use explains, and a level lowered by
     * them lets the hub believe in more room than there is once those calls leave the hub's
     * window, until a report that may only come with a 429 (measured: ExternalUseBurstTest). Past
     * its reset the provider no longer counts what the level came from: the window holds it (see
     * {@link SlidingWindow#bookExternal}) until the first report, which books the provider's word
     * as it is — lower, or none at all.
     */
    static long toBook(SlidingWindow w, long level, long now, long until) {
        long current = w.externalAll(); // the window may not have advanced to now: a level held a little longer
        if (level > current) {
            return level;
        }
        if (current > 0 && now >= w.externalUntil()) {
            return level;
        }
        return level > 0 && Units.sub(w.externalUntil(), now) < Units.sub(until, now) / 2 ? current : -1;
    }

    /** Decides what a report means for {@code key} at {@code now}, folds it, and returns it for the ledger. */
    static ProviderFeedback observe(PoolState pool, KeyState key, List<ReportedLimit> report, long now, Budgets budgets,
                                    String hubId) {
        List<ExternalUse> booked = new ArrayList<>();
        List<LimitObservation> observed = new ArrayList<>();
        int unmatched = 0;
        for (ReportedLimit r : report) {
            int i = plausible(r) ? match(key, r) : -1;
            if (i < 0) {
                unmatched++;
                continue;
            }
            SlidingWindow w = key.windows[i];
            long configured = w.spec.capacity();
            if (r.limit() != null && r.kind().whole()) {
                LimitObservation before = key.observed[i];
                boolean wasLower = before != null && before.observed() < configured;
                boolean lower = r.limit() < configured;
                if (lower ? !wasLower || before.observed() != r.limit() : wasLower) {
                    LimitObservation o = new LimitObservation(pool.name(), key.id(), i, r.limit(), now, hubId);
                    record(key, o);
                    observed.add(o);
                }
            }
            if (r.remaining() != null) {
                long level = level(w, w.capacity(), r.remaining(), now);
                long window = w.perMillis();
                long resetAfter = r.resetAfterMillis() == null ? window : Math.min(window, r.resetAfterMillis());
                long until = Units.add(now, Math.max(1, resetAfter));
                long units = toBook(w, level, now, until);
                if (units >= 0 && w.externalLaterThanCurrent(now, hubId)) {
                    ExternalUse e = new ExternalUse(pool.name(), key.id(), i, split(w, units, budgets), now, until, hubId);
                    book(key, e, budgets);
                    booked.add(e);
                }
            }
        }
        return booked.isEmpty() && observed.isEmpty() && unmatched == 0
                ? ProviderFeedback.NONE : new ProviderFeedback(booked, observed, unmatched);
    }

    /**
     * Splits an external level between the hubs' budgets so that together they can never grant
     * more than the provider has left: this hub's own room first (it knows it exactly, under the
     * pool's lock), then each other hub's room as folded here, the rest on this hub. Rooms leave
     * the current external level out: the new level replaces it. Whatever a peer granted meanwhile
     * that this hub has not folded, the peer's share can only be too large, never let more
     * through (docs/architecture.md, "External use").
     */
    static Map<String, Long> split(SlidingWindow w, long units, Budgets budgets) {
        Map<String, Long> out = new LinkedHashMap<>();
        List<String> hubs = budgets.hubs();
        int own = budgets.ownSlot();
        long left = units;
        for (int k = -1; k < hubs.size() && left > 0; k++) {
            int slot = k < 0 ? own : k;
            if (k >= 0 && slot == own) {
                continue;
            }
            long take = Math.min(left, w.roomWithoutExternal(slot));
            if (take > 0) {
                out.merge(hubs.get(slot), take, Long::sum);
                left -= take;
            }
        }
        if (left > 0) {
            out.merge(hubs.get(own), left, Long::sum);
        }
        return out;
    }

    /**
     * Folds an external level into the key's window (this hub's decision, the peer's, or a
     * replay): it replaces the level of every booking before it; one before the current is ignored.
     */
    static void book(KeyState key, ExternalUse e, Budgets budgets) {
        SlidingWindow w = key.windows[e.limitIndex()];
        long[] bySlot = new long[w.slots()];
        long left = w.spec.capacity(); // one level is never more than the limit's capacity
        for (Map.Entry<String, Long> u : e.unitsByHub().entrySet()) {
            long units = Math.min(left, Units.clamp(u.getValue(), 0, w.spec.capacity()));
            if (units > 0) {
                int slot = budgets.slot(u.getKey());
                bySlot[slot] = Units.add(bySlot[slot], units);
                left -= units;
            }
        }
        key.externalBooked = Units.add(key.externalBooked, w.bookExternal(e.atMillis(), e.hubId(), e.untilMillis(), bySlot));
    }

    /** Folds an observation: the latest one (by time, then hub) stands, in whatever order they come. */
    static boolean record(KeyState key, LimitObservation o) {
        if (!o.laterThan(key.observed[o.limitIndex()])) {
            return false;
        }
        key.observed[o.limitIndex()] = o;
        if (key.learnLimits) {
            key.windows[o.limitIndex()].learn(o.observed());
        }
        key.touch();
        return true;
    }
}
