package io.quotahub.hub.replication;

import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitKind;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.view.BudgetView;
import io.quotahub.hub.ledger.InMemoryLedger;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.proto.BudgetUnits;
import io.quotahub.proto.LedgerEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The invariants, checked after every step against the ground truth — the two ledgers as stored,
 * and what the agents and the provider saw — not against what a hub believes:
 * <ol>
 *   <li><b>No limit exceeded</b> (docs/architecture.md, "What a window counts"): a lease occupies capacity from
 *       its grant until it is settled (at its estimate), then sits in the windows at its first settle
 *       time (at what it used) or, if no agent settled it, at its expiry (at its estimate); no interval of length
 *       {@code per + settleMargin} ever holds more than the capacity, over both hubs' leases. The
 *       leases are every Grant in either ledger (a superset of what agents used). Also at the
 *       provider: the calls agents made in any interval of length {@code per}.</li>
 *   <li><b>No acknowledged grant lost</b>: a lease an agent received is in the granting hub's ledger
 *       when it arrives, and a running granting hub keeps counting it until it is settled or
 *       expires (also after a restart).</li>
 *   <li><b>Budgets</b>: I1 as each hub sees it (Σ budgets + in flight ≤ capacity, in flight ≥ 0,
 *       no negative budget); I1 across hubs — the budget each hub that may grant holds by its own
 *       account plus the units truly in flight (Transfers in a ledger without their TransferApplied
 *       in the receiver's) ≤ capacity. (I2 holds by the engine's admission rule; what it protects is
 *       check 1.)</li>
 *   <li><b>Fence and takeover</b> (docs/architecture.md, "Takeover and fence"): a hub's ledger holds nothing after a fence
 *       unless the hub had folded the peer's Takeover of that fence first (by the batch's causal
 *       stamp), and a Takeover is written only after folding the fenced hub's whole tail.</li>
 * </ol>
 * With {@link #allowExcess} the first check records instead of failing (declare-dead's risk).
 */
final class SimChecker {

    /** One limit as the checker counts it. */
    record Limit(LimitRef ref, LimitSpec spec, String pool, String keyId, long window) {
        boolean covers(LeaseRec l) {
            return l.pool.equals(pool) && (keyId == null || keyId.equals(l.key));
        }

        long units(long tokens) {
            return spec.kind() == LimitKind.TOKENS ? tokens : 1;
        }

        /** A lease of {@code calls} calls (a block's, or 1) and {@code tokens} in all. */
        long units(long calls, long tokens) {
            return spec.kind() == LimitKind.TOKENS ? tokens : calls;
        }
    }

    /** A lease as the ledgers record it. */
    static final class LeaseRec {
        final String id;
        final String hub;
        final String pool;
        final String key;
        final long tokens;
        /** Calls it may make: a block's, or 1. */
        final long calls;
        final boolean isBlock;
        /** Calls its first settle counts (-1: all of them). */
        long chargedCalls = -1;
        final long grantedAt;
        final long expiresAt;
        /** The earliest Settle any hub recorded (the agent's report: its provider call came before), -1 if none. */
        long settledAt = -1;
        long charged = -1;

        LeaseRec(LedgerEvent e) {
            var g = e.getGrant();
            this.id = g.getLeaseId();
            this.hub = e.getHubId();
            this.pool = g.getPool();
            this.key = g.getKeyId();
            this.tokens = g.getTokens();
            this.calls = Math.max(1, g.getBlockCalls());
            this.isBlock = g.getBlockCalls() > 0;
            this.grantedAt = e.getAtEpochMs();
            this.expiresAt = g.getExpiresAtEpochMs();
        }

        /**
         * Ended at, as of now: its first settle; or, if no agent settled it, its expiry (an Expire
         * that a hub wrote without having seen the Settle the other hub recorded changes nothing);
         * -1 while open.
         */
        long end(long now) {
            if (settledAt >= 0) {
                return settledAt;
            }
            return now >= expiresAt ? expiresAt : -1;
        }

        /** What it counts once ended: what the agent reported it used, or its estimate if it expired. */
        long chargedTokens() {
            return settledAt >= 0 ? charged : tokens;
        }

        /** Calls it counts once ended: those its settle reported (a block's), else all of them. */
        long chargedCalls() {
            return settledAt >= 0 && chargedCalls >= 0 && isBlock ? Math.min(chargedCalls, calls) : calls;
        }

        @Override
        public String toString() {
            return id + "[" + key + ", granted " + grantedAt % 100_000 + ", settled " + (settledAt < 0 ? "-" : settledAt % 100_000)
                    + ", expires " + expiresAt % 100_000
                    + ", " + tokens + "/" + charged + " tokens]";
        }
    }

    /** An excess of a limit seen in allow-excess mode. */
    record Excess(long at, LimitRef ref, long held, long capacity) {
    }

    private final Simulation sim;
    private final List<Limit> limits = new ArrayList<>();
    private final long marginMillis;
    private final long longestWindow;
    private final Map<String, LeaseRec> leases = new HashMap<>();
    private final List<LeaseRec> recent = new ArrayList<>();
    private final Map<String, List<long[]>> pendingEnds = new HashMap<>();
    private final Map<String, Integer> scanned = new HashMap<>();
    /** Transfers by id, as {from, to} and units; TransferApplied likewise; units truly in flight per limit. */
    private final Map<String, Map<String, Long>> sent = new HashMap<>();
    private final Map<String, String> sentHubs = new HashMap<>();
    private final Map<String, Map<String, Long>> applied = new HashMap<>();
    private final Map<String, String> appliedHubs = new HashMap<>();
    private final Map<String, Long> inFlight = new HashMap<>();
    /** Per hub: its Takeovers of the peer, as {seq, fenceSeq, declared}. */
    private final Map<String, List<long[]>> takeovers = new HashMap<>();
    /** Per hub: fences in its ledger, and its batches written after the latest fence (to check). */
    private final Map<String, Long> latestFence = new HashMap<>();
    private final List<Object[]> afterFence = new ArrayList<>();
    private final List<Excess> excesses = new ArrayList<>();
    private final Map<String, Long> rejoinedAfter = new HashMap<>();
    /** Per hub: the latest fence it wrote into its peer's ledger. */
    private final Map<String, Long> fencedBy = new HashMap<>();
    int takeoverCount;
    int rejoinCount;
    private long lastBudgetState;
    boolean allowExcess;
    boolean allowNegativeBudgets;

    SimChecker(Simulation sim, List<PoolSpec> pools, long marginMillis) {
        this.sim = sim;
        this.marginMillis = marginMillis;
        long longest = 0;
        for (PoolSpec p : pools) {
            for (int i = 0; i < p.limits().size(); i++) {
                limits.add(new Limit(LimitRef.ofPool(p.name(), i), p.limits().get(i), p.name(), null,
                        p.limits().get(i).per().toMillis() + marginMillis));
                longest = Math.max(longest, p.limits().get(i).per().toMillis());
            }
            for (KeySpec k : p.keys()) {
                for (int i = 0; i < k.limits().size(); i++) {
                    limits.add(new Limit(LimitRef.ofKey(p.name(), k.id(), i), k.limits().get(i), p.name(), k.id(),
                            k.limits().get(i).per().toMillis() + marginMillis));
                    longest = Math.max(longest, k.limits().get(i).per().toMillis());
                }
            }
        }
        this.longestWindow = longest + marginMillis;
        for (String h : List.of(Simulation.MAIN, Simulation.EDGE)) {
            scanned.put(h, 0);
            takeovers.put(h, new ArrayList<>());
            latestFence.put(h, 0L);
        }
    }

    List<Excess> excesses() {
        return excesses;
    }

    List<Limit> limits() {
        return limits;
    }

    // ---- reading the ledgers --------------------------------------------------------------------

    /** Reads what the ledgers stored since the last scan. */
    void scan() {
        for (String hub : List.of(Simulation.MAIN, Simulation.EDGE)) {
            InMemoryLedger store = sim.hub(hub).store;
            int from = scanned.get(hub);
            if (store.lastSeq() <= from) {
                continue;
            }
            for (StoredBatch b : store.batchesFrom(from + 1L)) {
                read(hub, b);
            }
            scanned.put(hub, (int) store.lastSeq());
        }
        checkRejoins();
    }

    private void read(String ledgerOf, StoredBatch b) {
        if (b.isFence()) {
            var f = b.events().get(0).getFence();
            if (f.getFencedAfterSeq() != b.seq() - 1) {
                sim.fail("fence in " + ledgerOf + "'s ledger at seq " + b.seq() + " expected the tail " + f.getFencedAfterSeq());
            }
            latestFence.put(ledgerOf, b.seq());
            fencedBy.put(f.getByHub(), b.seq());
            return;
        }
        if (latestFence.get(ledgerOf) > 0) {
            afterFence.add(new Object[] {ledgerOf, b, latestFence.get(ledgerOf)});
        }
        for (LedgerEvent e : b.events()) {
            switch (e.getEventCase()) {
                case GRANT -> {
                    LeaseRec l = new LeaseRec(e);
                    if (!l.hub.equals(ledgerOf)) {
                        sim.fail("a grant of " + l.hub + " in " + ledgerOf + "'s ledger: " + l);
                    }
                    if (leases.put(l.id, l) != null) {
                        sim.fail("lease id " + l.id + " granted twice");
                    }
                    recent.add(l);
                    List<long[]> ends = pendingEnds.remove(l.id);
                    if (ends != null) {
                        ends.forEach(end -> settled(l, end[0], end[1], end[2]));
                    }
                }
                case SETTLE -> settled(e.getSettle().getLeaseId(), e.getAtEpochMs(), Math.max(0, e.getSettle().getTokensUsed()),
                        e.getSettle().getCallsUsed());
                case EXPIRE -> { } // at its expiry, with its estimate: what end() assumes of a lease no agent settled
                case TRANSFER -> {
                    var t = e.getTransfer();
                    String id = t.getTransferId();
                    if (sent.put(id, units(t.getUnitsList())) != null) {
                        sim.fail("transfer id " + id + " written twice");
                    }
                    sentHubs.put(id, e.getHubId() + ">" + t.getToHub());
                    sim.trace.log(ledgerOf, "transfer %s to %s: %s", id, t.getToHub(), sent.get(id));
                    sent.get(id).forEach((ref, n) -> inFlight.merge(ref, n, Long::sum));
                    if (applied.containsKey(id)) {
                        arrived(id);
                    }
                }
                case TRANSFER_APPLIED -> {
                    var a = e.getTransferApplied();
                    String id = a.getTransferId();
                    if (applied.put(id, units(a.getUnitsList())) != null) {
                        sim.fail("transfer " + id + " applied twice (by " + e.getHubId() + ")");
                    }
                    appliedHubs.put(id, a.getFromHub() + ">" + e.getHubId());
                    sim.trace.log(ledgerOf, "transfer %s applied", id);
                    if (sent.containsKey(id)) {
                        arrived(id);
                    }
                }
                case TAKEOVER -> {
                    var t = e.getTakeover();
                    takeovers.get(ledgerOf).add(new long[] {b.seq(), t.getFenceSeq(), t.getDeclared() ? 1 : 0});
                    takeoverCount++;
                    if (!t.getDeclared()) {
                        checkTakeover(ledgerOf, b, t.getFenceSeq());
                    }
                    sim.trace.log(ledgerOf, "TAKEOVER of %s (fence %d%s) units %s", t.getPeerHub(), t.getFenceSeq(),
                            t.getDeclared() ? ", DECLARED" : "", units(t.getUnitsList()));
                }
                default -> { }
            }
        }
    }

    private static Map<String, Long> units(List<BudgetUnits> list) {
        Map<String, Long> out = new LinkedHashMap<>();
        list.forEach(u -> out.merge(u.getLimit(), u.getUnits(), Long::sum));
        return out;
    }

    private void settled(String leaseId, long at, long charged, long calls) {
        LeaseRec l = leases.get(leaseId);
        if (l == null) {
            pendingEnds.computeIfAbsent(leaseId, k -> new ArrayList<>()).add(new long[] {at, charged, calls});
            return;
        }
        settled(l, at, charged, calls);
    }

    private static void settled(LeaseRec l, long at, long charged, long calls) {
        long when = Math.max(at, l.grantedAt);
        if (l.settledAt < 0 || when < l.settledAt) {
            l.settledAt = when;
        }
        l.charged = Math.max(l.charged, charged);
        l.chargedCalls = Math.max(l.chargedCalls, calls < 0 ? l.calls : calls); // the most any settle counted
    }

    /** A Takeover is written only after the survivor folded the fenced hub's whole tail. */
    private void checkTakeover(String survivor, StoredBatch b, long fenceSeq) {
        String fenced = sim.peerOf(survivor);
        InMemoryLedger store = sim.hub(fenced).store;
        if (fenceSeq < 1 || fenceSeq > store.lastSeq() || !store.batchesFrom(fenceSeq).get(0).isFence()) {
            sim.fail(survivor + " wrote a Takeover naming fence seq " + fenceSeq + " which is no fence in " + fenced + "'s ledger");
        }
        if (peerWroteAfter(fenced, fenceSeq)) {
            sim.fail(survivor + " wrote a Takeover of " + fenced + " (fence " + fenceSeq + ") after " + fenced
                    + " had written past that fence: it is alive and may grant from the budget taken");
        }
        if (b.peerSeq() < fenceSeq - 1) {
            sim.fail(survivor + " wrote a Takeover of " + fenced + " (fence " + fenceSeq + ") having folded only "
                    + b.peerSeq() + " of its batches: grants of the tail are not counted");
        }
    }

    /**
     * After a fence, a hub writes again only once it folded the peer's Takeover of that fence — or,
     * when both fenced each other and neither wrote a Takeover, as the lower id of the two, once it
     * folded its own fence in the peer's ledger (so it knows the peer wrote no Takeover of it).
     * Judged at the first write after each fence.
     */
    private void checkRejoins() {
        for (Object[] entry : afterFence) {
            String hub = (String) entry[0];
            StoredBatch b = (StoredBatch) entry[1];
            long fence = (Long) entry[2];
            if (Long.valueOf(fence).equals(rejoinedAfter.get(hub))) {
                continue;
            }
            String peer = sim.peerOf(hub);
            boolean folded = false;
            for (long[] t : takeovers.get(peer)) {
                if (t[2] == 0 && t[1] >= fence && t[0] <= b.peerSeq()) {
                    folded = true;
                    break;
                }
            }
            long ownFenceOfPeer = fencedBy.getOrDefault(hub, 0L);
            boolean wonMutualFence = !folded && hub.compareTo(peer) < 0 && ownFenceOfPeer > 0
                    && ownFenceOfPeer <= b.peerSeq() && !peerWroteAfter(peer, ownFenceOfPeer);
            if (!folded && !wonMutualFence) {
                sim.fail(hub + " wrote seq " + b.seq() + " after the fence at seq " + fence + " without having folded "
                        + peer + "'s Takeover of it (its peer cursor was " + b.peerSeq() + "): " + b.events());
            }
            rejoinedAfter.put(hub, fence);
            rejoinCount++;
            sim.trace.log(hub, "REJOINED after the fence at seq %d (first write: seq %d)%s", fence, b.seq(),
                    wonMutualFence ? ", winning a mutual fence" : "");
        }
        afterFence.clear();
    }

    private boolean peerWroteAfter(String hub, long seq) {
        InMemoryLedger store = sim.hub(hub).store;
        return seq < store.lastSeq() && store.batchesFrom(seq + 1).stream().anyMatch(x -> !x.isFence());
    }

    /** Has {@code hub} fenced its peer without a Takeover of that fence in its own ledger yet? */
    boolean fenceUnanswered(String hub) {
        long fence = fencedBy.getOrDefault(hub, 0L);
        if (fence == 0) {
            return false;
        }
        for (long[] t : takeovers.get(hub)) {
            if (t[2] == 0 && t[1] >= fence) {
                return false;
            }
        }
        return true;
    }

    // ---- invariants ----------------------------------------------------------------------------

    void afterStep(long now) {
        scan();
        checkWindows(now);
        checkProvider(now);
        checkHeldLeases(now);
        long state = budgetState();
        if (state != lastBudgetState) { // budgets move only when something was written, folded or restarted
            lastBudgetState = state;
            checkBudgets();
        }
    }

    /** Changes whenever a hub's budgets may have: a ledger grew, a hub folded, (re)started, or ran its tick. */
    private long budgetState() {
        long b = 17;
        for (String hub : List.of(Simulation.MAIN, Simulation.EDGE)) {
            SimHub h = sim.hub(hub);
            b = b * 31 + h.store.lastSeq();
            b = b * 31 + h.incarnations;
            b = b * 31 + h.state.ordinal();
            if (h.process != null) {
                b = b * 31 + h.process.consumed;
                b = b * 31 + h.process.nextTick;
                b = b * 31 + (h.process.ledger.mayWrite() ? 1 : 2);
            }
        }
        return b;
    }

    private void checkWindows(long now) {
        recent.removeIf(l -> {
            long end = l.end(now);
            return end >= 0 && end <= now - longestWindow;
        });
        long[] held = new long[limits.size()];
        for (LeaseRec l : recent) {
            long end = l.end(now);
            for (int i = 0; i < held.length; i++) {
                Limit limit = limits.get(i);
                if (!limit.covers(l)) {
                    continue;
                }
                if (end < 0) {
                    held[i] += limit.units(l.calls, l.tokens);
                } else if (end > now - limit.window) {
                    held[i] += limit.units(l.chargedCalls(), l.chargedTokens());
                }
            }
        }
        for (int i = 0; i < held.length; i++) {
            Limit limit = limits.get(i);
            if (held[i] <= limit.spec.capacity()) {
                continue;
            }
            if (allowExcess) {
                excesses.add(new Excess(now, limit.ref, held[i], limit.spec.capacity()));
                continue;
            }
            List<LeaseRec> in = new ArrayList<>();
            for (LeaseRec l : recent) {
                long end = l.end(now);
                if (limit.covers(l) && (end < 0 || end > now - limit.window)) {
                    in.add(l);
                }
            }
            sim.fail("limit " + limit.ref + " (" + limit.spec.describe() + ") holds " + held[i] + " in the window of "
                    + limit.window + " ms ending now; leases: " + in);
        }
    }

    private void checkProvider(long now) {
        List<SimWorkload.ProviderCall> calls = sim.workload.providerCalls();
        calls.removeIf(c -> c.at() <= now - longestWindow);
        if (allowExcess) {
            return;
        }
        for (Limit limit : limits) {
            long per = limit.spec.per().toMillis();
            long held = 0;
            for (SimWorkload.ProviderCall c : calls) {
                if (c.at() > now - per && c.pool().equals(limit.pool) && (limit.keyId == null || limit.keyId.equals(c.keyId()))) {
                    held += limit.units(c.tokens());
                }
            }
            if (held > limit.spec.capacity()) {
                sim.fail("the provider saw " + held + " of " + limit.ref + " (" + limit.spec.describe() + ") in the last "
                        + per + " ms");
            }
        }
    }

    /** An agent just received this lease from {@code answeredBy} (the granting hub or, for a retried request id, the other). */
    void leaseReceived(LeaseRecord lease, String answeredBy) {
        scan();
        LeaseRec l = leases.get(lease.leaseId());
        if (l == null || !l.hub.equals(lease.hubId())) {
            sim.fail("agent received lease " + lease.leaseId() + " from " + answeredBy + " but it is not in "
                    + lease.hubId() + "'s ledger");
        }
        if (l.settledAt >= 0) {
            sim.fail("agent received lease " + lease.leaseId() + " from " + answeredBy + " which was already settled");
        }
    }

    private void checkHeldLeases(long now) {
        for (SimWorkload.Call c : sim.workload.holding()) {
            LeaseRec l = leases.get(c.lease.leaseId());
            if (l == null) {
                sim.fail(c + " holds " + c.lease.leaseId() + " which is in no ledger");
            }
            if (l.end(now) >= 0) {
                continue;
            }
            SimHub granter = sim.hub(l.hub);
            if (granter.running() && granter.process.engine.openLease(l.id).isEmpty()) {
                sim.fail(l.hub + " (incarnation " + granter.incarnations + ") lost track of its open lease " + l
                        + " that " + c + " holds");
            }
        }
    }

    private void checkBudgets() {
        Map<String, List<BudgetView>> tables = new LinkedHashMap<>();
        for (String hub : List.of(Simulation.MAIN, Simulation.EDGE)) {
            SimHub h = sim.hub(hub);
            if (h.process == null) {
                continue;
            }
            List<BudgetView> table = h.process.engine.budgetTable();
            for (BudgetView v : table) {
                if (v.committed() > v.capacity()) {
                    sim.fail("I1 broken at " + hub + ": " + v);
                }
                if (!allowNegativeBudgets) {
                    for (var b : v.budgetByHub().entrySet()) {
                        if (b.getValue() < 0) {
                            sim.fail("negative budget at " + hub + ": " + v);
                        }
                    }
                }
            }
            if (h.mayGrant()) {
                tables.put(hub, table);
            }
        }
        if (allowExcess) {
            return;
        }
        for (Limit limit : limits) {
            String ref = limit.ref.toString();
            long total = inFlight(ref);
            for (var e : tables.entrySet()) {
                for (BudgetView v : e.getValue()) {
                    if (v.ref().equals(limit.ref)) {
                        total += v.budgetByHub().getOrDefault(e.getKey(), 0L);
                    }
                }
            }
            if (total > limit.spec.capacity()) {
                sim.fail("I1 across hubs broken for " + ref + ": own budgets of the hubs that may grant + units in flight = "
                        + total + " > " + limit.spec.capacity() + "; tables " + tables);
            }
        }
    }

    private void arrived(String id) {
        if (!sentHubs.get(id).equals(appliedHubs.get(id))) {
            sim.fail("transfer " + id + " was sent " + sentHubs.get(id) + " but applied " + appliedHubs.get(id));
        }
        Map<String, Long> a = applied.get(id);
        sent.get(id).forEach((ref, n) -> inFlight.merge(ref, -Math.min(n, a.getOrDefault(ref, 0L)), Long::sum));
    }

    /** Units of a limit in Transfers whose TransferApplied is in no ledger yet. */
    long inFlight(String ref) {
        return inFlight.getOrDefault(ref, 0L);
    }

    int leasesGranted() {
        return leases.size();
    }
}
