package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.testing.ManualClock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two hubs ("main", "edge") running the budget protocol (docs/architecture.md, "Budgets and the split") in memory: each with its
 * engine and its own ledger, folding the peer's ledger with random delay (in order, causally).
 * Random steps: grants, settles, expiries, give-aways (Transfer), receipts (TransferApplied),
 * takeovers of a hub whose whole ledger the survivor has read (a fence), and rejoins of a taken
 * over hub after it has read the survivor's whole ledger. Records every lease's presence for the
 * provider-side check, and checks I1 on every engine after every step and I2 on every live hub
 * (after every step without expiry; for the limits a grant used, with it).
 */
final class TwoHubSim {

    static final List<String> HUBS = List.of("main", "edge");

    /** A ledger event; {@code peerSeen} = how many of the peer's events its writer had folded (causal link). */
    sealed interface Ev permits Grant, Settle, Transfer, Applied, Takeover, Reload, Followed {
        String writer();

        int peerSeen();
    }

    record Grant(String writer, int peerSeen, LeaseRecord lease) implements Ev {
    }

    record Settle(String writer, int peerSeen, Settlement settlement) implements Ev {
    }

    record Transfer(String writer, int peerSeen, String id, String to, Map<LimitRef, Long> units) implements Ev {
    }

    record Applied(String writer, int peerSeen, String id, String from, Map<LimitRef, Long> units) implements Ev {
    }

    record Takeover(String writer, int peerSeen, String from, Map<LimitRef, Long> units) implements Ev {
    }

    /** A reload accepted by its writer: from now on {@code pools} (docs/architecture.md, "Changing limits in flight"). */
    record Reload(String writer, int peerSeen, int version, List<PoolSpec> pools) implements Ev {
    }

    /** The writer folded the peer's reload of {@code version} and switched too. */
    record Followed(String writer, int peerSeen, int version) implements Ev {
    }

    static EngineConfig withPools(EngineConfig c, List<PoolSpec> pools) {
        return new EngineConfig(c.hubId(), pools, c.budgetShares(), c.settleMargin(), c.leaseTtl(), c.cooldown(), c.thermal());
    }

    /** The fold of one event, as a hub (or a replay) does it. */
    static void fold(QuotaEngine e, Ev ev) {
        if (ev instanceof Reload r) {
            e.reconfigure(withPools(e.config(), r.pools()), false);
            return;
        }
        if (ev instanceof Grant g) {
            e.replayGrant(g.lease());
        } else if (ev instanceof Settle s) {
            e.settle(s.settlement());
        } else if (ev instanceof Transfer t) {
            e.applyTransfer(t.id(), t.writer(), t.to(), t.units());
        } else if (ev instanceof Applied a) {
            e.applyTransferApplied(a.id(), a.from(), a.writer(), a.units());
        } else if (ev instanceof Takeover t) {
            e.applyTakeover(t.from(), t.writer(), t.units());
        }
        // Followed: only the writer of the reload acts on it (releases the raises it held back)
    }

    final class Hub {
        final String id;
        final QuotaEngine engine;
        final List<Ev> ledger = new ArrayList<>();
        final Set<String> received = new HashSet<>();
        int seen;
        boolean dead;

        Hub(String id, QuotaEngine engine) {
            this.id = id;
            this.engine = engine;
        }

        Hub peer() {
            return hubs.get(id.equals("main") ? "edge" : "main");
        }

        void write(Ev ev) {
            ledger.add(ev);
        }

        /** Folds the next event of the peer's ledger; false if there is none. */
        boolean deliverOne() {
            Hub p = peer();
            if (seen >= p.ledger.size()) {
                return false;
            }
            Ev ev = p.ledger.get(seen++);
            fold(engine, ev);
            if (ev instanceof Reload r) {
                // both hubs have it now: the sim's switch time; this hub says so in its ledger
                switchedAt.putIfAbsent(r.version(), clock.millis());
                write(new Followed(id, seen, r.version()));
            } else if (ev instanceof Followed f && f.version() >= pendingReload) {
                engine.releaseRaises();
            }
            return true;
        }

        /** The newest own reload whose raised limits this hub holds back until the peer follows. */
        int pendingReload;

        void catchUp() {
            while (deliverOne()) {
                // all of it
            }
        }
    }

    final Random rnd;
    final ManualClock clock;
    final Map<String, Hub> hubs = new LinkedHashMap<>();
    final boolean expire;
    final List<LimitRef> refs;
    final Map<String, LeaseRecord> leases = new HashMap<>();
    final Map<String, long[]> pendingSettle = new HashMap<>(); // leaseId -> {settleAt, tokensUsed, callsUsed}
    final Map<String, long[]> ends = new HashMap<>();           // leaseId -> {end, charged tokens, charged calls}
    /** The largest block agents ask for (0: per-call leases only); see {@link #withBlocks}. */
    private int blockAsk;
    int takeovers;
    int transfers;
    int applied;
    private int nextId;
    /** Reloads (off unless {@link #reloadEvery} is set): each version's pools, and when both hubs had it. */
    final Map<Integer, List<PoolSpec>> versions = new HashMap<>();
    final Map<Integer, Long> switchedAt = new HashMap<>();
    int reloadEvery;
    java.util.function.Function<List<PoolSpec>, List<PoolSpec>> nextPools;
    int reloads;

    /**
     * @param expire whether hubs expire leases (settles of the rest may then come after a lease's
     *               expiry, which a hub has already charged: fine for the provider, but the hubs'
     *               windows then differ, so convergence checks run without expiry)
     */
    TwoHubSim(long seed, List<PoolSpec> pools, Map<String, Double> shares, Duration margin, Duration ttl, boolean expire) {
        this.rnd = new Random(seed);
        this.clock = new ManualClock(Fixtures.T0);
        this.expire = expire;
        for (String h : HUBS) {
            hubs.put(h, new Hub(h, engine(h, pools, shares, margin, ttl, clock)));
        }
        this.refs = hubs.get("main").engine.limitRefs();
        versions.put(0, List.copyOf(pools));
        switchedAt.put(0, Long.MIN_VALUE);
    }

    /**
     * Turns reloads on: about every {@code every} steps a live hub accepts {@code next} of the
     * pools now (once both hubs have the previous reload: the real hubs read one file, so
     * concurrent reloads end on the same pools; the sim keeps them apart). I1 then allows a
     * negative raw budget (a lowered limit after transfers: admission reads it as 0) and I2 is
     * checked at grants only (a window above a lowered limit drains).
     */
    TwoHubSim withReloads(int every, java.util.function.Function<List<PoolSpec>, List<PoolSpec>> next) {
        this.reloadEvery = every;
        this.nextPools = next;
        return this;
    }

    /** The version both hubs had folded at {@code atMillis}. */
    int versionAt(long atMillis) {
        int best = 0;
        for (var e : switchedAt.entrySet()) {
            if (e.getValue() <= atMillis && e.getKey() > best) {
                best = e.getKey();
            }
        }
        return best;
    }

    private void reload(Hub h) {
        int latest = versions.size() - 1;
        if (!switchedAt.containsKey(latest)) {
            return; // the previous reload is still travelling
        }
        List<PoolSpec> next = nextPools.apply(versions.get(latest));
        int version = latest + 1;
        versions.put(version, next);
        h.engine.reconfigure(withPools(h.engine.config(), next), true);
        h.pendingReload = version;
        h.write(new Reload(h.id, h.seen, version, next));
        reloads++;
        if (h.peer().dead) {
            // a dead peer grants nothing: only this hub decides under the new limits from now on
            switchedAt.put(version, clock.millis());
        }
    }

    static QuotaEngine engine(String hub, List<PoolSpec> pools, Map<String, Double> shares, Duration margin, Duration ttl,
                              ManualClock clock) {
        return new QuotaEngine(EngineConfig.builder(hub).pools(pools).budgetShares(shares).settleMargin(margin)
                .leaseTtl(ttl).build(), clock, EngineListener.NONE);
    }

    /**
     * Agents ask for blocks of 1 to {@code maxAsk} calls (the pools' block policy decides what they
     * get), use a random part of each, and some never settle (they crashed: the hubs expire them).
     */
    TwoHubSim withBlocks(int maxAsk) {
        this.blockAsk = maxAsk;
        return this;
    }

    Hub hub(String id) {
        return hubs.get(id);
    }

    private Hub randomLive() {
        List<Hub> live = hubs.values().stream().filter(h -> !h.dead).toList();
        return live.get(rnd.nextInt(live.size()));
    }

    /** One random step; {@code pool} and the request size are the caller's. */
    void step(String pool, long tokens) {
        clock.advance(Duration.ofMillis(rnd.nextInt(4) == 0 ? rnd.nextInt(1500) : rnd.nextInt(120)));
        settleDue();
        if (expire) {
            for (Hub h : hubs.values()) {
                if (!h.dead) {
                    for (Settlement s : h.engine.expireDue()) {
                        ends.putIfAbsent(s.leaseId(), new long[] {s.settledAt().toEpochMilli(), s.tokensUsed(),
                                leases.get(s.leaseId()).calls()});
                        pendingSettle.remove(s.leaseId());
                        if (responsible(leases.get(s.leaseId())) == h) {
                            h.write(new Settle(h.id, h.seen, s));
                        }
                    }
                }
            }
        }
        for (Hub h : hubs.values()) {
            if (!h.dead) {
                int n = rnd.nextInt(3) == 0 ? rnd.nextInt(4) : 0;
                for (int i = 0; i < n; i++) {
                    h.deliverOne();
                }
            }
        }
        int action = rnd.nextInt(100);
        Hub h = randomLive();
        if (reloadEvery > 0 && rnd.nextInt(reloadEvery) == 0) {
            reload(h);
        } else if (action < 60) {
            grant(h, pool, tokens);
        } else if (action < 75) {
            giveAway(h);
        } else if (action < 90) {
            applyTransfers(h);
        } else if (action < 93 && takeovers < 3) {
            takeover(h);
        } else if (action < 97) {
            rejoin();
        }
        if (rnd.nextInt(10) == 0) {
            hubs.values().forEach(x -> x.engine.tick());
        }
        checkInvariants();
    }

    /** The hub that settles a lease now: the one that granted it, or the other when that one is dead. */
    Hub responsible(LeaseRecord l) {
        Hub issuer = hubs.get(l.hubId());
        return issuer.dead ? issuer.peer() : issuer;
    }

    private void settleDue() {
        long now = clock.millis();
        for (var it = pendingSettle.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue()[0] > now) {
                continue;
            }
            it.remove();
            LeaseRecord l = leases.get(e.getKey());
            Hub h = responsible(l);
            if (h.engine.openLease(l.leaseId()).isEmpty()) {
                continue; // expired already
            }
            // an agent calls the provider before its lease expires: a late settle reports a call before expiry
            long at = Math.min(now, l.expiresAt().toEpochMilli());
            Outcome outcome = rnd.nextInt(10) < 8 ? Outcome.OK : rnd.nextBoolean() ? Outcome.RATE_LIMITED : Outcome.ERROR;
            Settlement s = new Settlement(l.leaseId(), e.getValue()[1], outcome,
                    Duration.ofMillis(rnd.nextInt(2) * rnd.nextInt(2000)), java.time.Instant.ofEpochMilli(at), (int) e.getValue()[2]);
            if (h.engine.settle(s) == SettleResult.SETTLED) {
                ends.put(l.leaseId(), new long[] {at, s.tokensUsed(), l.isBlock() ? e.getValue()[2] : 1});
                h.write(new Settle(h.id, h.seen, s));
            }
        }
    }

    private void grant(Hub h, String pool, long tokens) {
        Priority priority = Priority.values()[rnd.nextInt(3)];
        AcquireRequest request = new AcquireRequest(pool, tokens, priority, "a" + (blockAsk > 0 ? rnd.nextInt(4) : 0),
                "r" + (nextId++));
        if (blockAsk > 0 && rnd.nextInt(4) != 0) {
            request = request.withBlock(1 + rnd.nextInt(blockAsk));
        }
        Decision d = h.engine.acquire(request);
        if (d instanceof Decision.Admitted g) {
            LeaseRecord l = g.lease();
            assertThat(leases).as("lease ids are unique").doesNotContainKey(l.leaseId());
            leases.put(l.leaseId(), l);
            h.write(new Grant(h.id, h.seen, l));
            assertOwnUseWithinBudget(h, "after a grant", l);
            if (rnd.nextInt(8) != 0) { // the rest stay open (and expire, if hubs expire: an agent that crashed)
                long used = l.tokens() == 0 ? 0 : rnd.nextLong(l.tokens() + 1);
                int calls = l.isBlock() ? rnd.nextInt(l.calls() + 1) : 1;
                pendingSettle.put(l.leaseId(), new long[] {clock.millis() + rnd.nextInt(3000), used, calls});
            }
        } else {
            Refusal r = ((Decision.Denied) d).refusal();
            assertThat(r.retryAfter()).as("%s", r).isPositive();
        }
    }

    private void giveAway(Hub h) {
        Map<LimitRef, Long> want = new HashMap<>();
        for (LimitRef r : h.engine.limitRefs()) {
            if (rnd.nextInt(3) == 0) {
                want.put(r, (long) rnd.nextInt(rnd.nextBoolean() ? 5 : 300));
            }
        }
        String id = h.id + "-t" + (nextId++);
        Map<String, Long> headroom = headroom(h);
        Map<LimitRef, Long> moved = h.engine.giveAway(id, h.peer().id, want);
        for (var m : moved.entrySet()) {
            assertThat(m.getValue()).as("moved %s", m.getKey()).isPositive()
                    .isLessThanOrEqualTo(want.get(m.getKey())).isLessThanOrEqualTo(headroom.get(m.getKey().toString()));
        }
        if (moved.isEmpty()) {
            return;
        }
        if (rnd.nextInt(10) == 0) { // the append failed
            assertThat(h.engine.revertTransfer(id)).isTrue();
            assertThat(headroom(h)).isEqualTo(headroom);
            return;
        }
        transfers++;
        h.write(new Transfer(h.id, h.seen, id, h.peer().id, moved));
    }

    private Map<String, Long> headroom(Hub h) {
        Map<String, Long> out = new HashMap<>();
        for (BudgetView b : h.engine.budgetTable()) {
            out.put(b.ref().toString(), b.budgetByHub().get(h.id) - b.usedByHub().get(h.id));
        }
        return out;
    }

    /** The receiver applies, exactly once, every transfer to it it has folded. */
    private void applyTransfers(Hub h) {
        Hub p = h.peer();
        for (int i = 0; i < h.seen; i++) {
            if (p.ledger.get(i) instanceof Transfer t && t.to().equals(h.id) && h.received.add(t.id())) {
                h.engine.applyTransferApplied(t.id(), p.id, h.id, t.units());
                h.write(new Applied(h.id, h.seen, t.id(), p.id, t.units()));
                applied++;
            }
        }
    }

    /** h fences its (live) peer: reads its whole ledger, takes its budgets, and the peer stops. */
    private void takeover(Hub h) {
        Hub p = h.peer();
        if (p.dead) {
            return;
        }
        h.catchUp();
        Map<LimitRef, Long> units = h.engine.budgetsOf(p.id);
        h.engine.applyTakeover(p.id, h.id, units);
        h.write(new Takeover(h.id, h.seen, p.id, units));
        p.dead = true;
        for (int v = 1; v < versions.size(); v++) {
            switchedAt.putIfAbsent(v, clock.millis()); // the survivor decides alone from now on (it released its holds)
        }
        takeovers++;
        if (!expire) {
            assertOwnUseWithinBudget(h, "after taking over", null);
        }
    }

    /** A dead hub restarts: it reads the survivor's whole ledger (incl. the Takeover) before granting again. */
    void rejoin() {
        for (Hub h : hubs.values()) {
            if (h.dead) {
                h.catchUp();
                h.dead = false;
            }
        }
    }

    /** Everyone alive, everything delivered. */
    void quiesce() {
        rejoin();
        hubs.values().forEach(Hub::catchUp);
        hubs.values().forEach(Hub::catchUp);
    }

    /** I1 on every engine; I2 (used_h <= B_h) on every live hub's own engine for itself. */
    void checkInvariants() {
        for (Hub h : hubs.values()) {
            if (reloadEvery > 0) {
                assertI1AfterReloads(h.engine.budgetTable(), h.id);
                continue;
            }
            assertI1(h.engine.budgetTable(), h.id);
            if (!h.dead && !expire) {
                assertOwnUseWithinBudget(h, "after a step", null);
            }
        }
    }

    static void assertI1(List<BudgetView> table, String who) {
        for (BudgetView b : table) {
            assertThat(b.inFlight()).as("%s %s in flight", who, b.ref()).isNotNegative();
            assertThat(b.committed()).as("I1 at %s: %s", who, b).isLessThanOrEqualTo(b.capacity());
            for (long v : b.budgetByHub().values()) {
                assertThat(v).as("%s: %s", who, b).isNotNegative();
            }
        }
    }

    /**
     * I1 with reloads: the raw budgets and the units in flight still add up to at most the limit, and
     * what admission reads of them (each clamped to [0, capacity]) does too: with two hubs one
     * budget can be below zero after a lowered limit (the other hub had received units), and is
     * read as 0.
     */
    static void assertI1AfterReloads(List<BudgetView> table, String who) {
        for (BudgetView b : table) {
            assertThat(b.inFlight()).as("%s %s in flight", who, b.ref()).isNotNegative();
            assertThat(b.committed()).as("I1 at %s: %s", who, b).isLessThanOrEqualTo(b.capacity());
            long admitted = 0;
            for (long v : b.budgetByHub().values()) {
                admitted += Math.max(0, Math.min(v, b.capacity()));
            }
            assertThat(admitted).as("what admission reads at %s: %s", who, b).isLessThanOrEqualTo(b.capacity());
        }
    }

    /**
     * I2 for the limits of {@code lease} (all limits if null). With expiry only at grants, for the
     * lease's limits: a hub expires the peer's leases too, at their expiry, which can be later than
     * the peer's settle it has not folded yet; after a takeover it may then count more of the dead
     * hub's use than the dead hub did, and admits nothing until that leaves the window.
     */
    private void assertOwnUseWithinBudget(Hub h, String when, LeaseRecord lease) {
        for (BudgetView b : h.engine.budgetTable()) {
            if (lease != null && !(b.ref().pool().equals(lease.pool())
                    && (b.ref().keyId() == null || b.ref().keyId().equals(lease.keyId())))) {
                continue;
            }
            // after a reload lowered a limit a raw budget may be below zero: admission reads it as 0
            long budget = reloadEvery > 0 ? Math.max(0, b.budgetByHub().get(h.id)) : b.budgetByHub().get(h.id);
            assertThat(b.usedByHub().get(h.id)).as("I2 at %s %s: %s", h.id, when, b).isLessThanOrEqualTo(budget);
        }
    }

    /** Both ledgers interleaved in a random order that keeps each ledger's order and, if {@code causal}, every causal link. */
    List<Ev> randomOrder(Random r, boolean causal) {
        List<Ev> a = hubs.get("main").ledger;
        List<Ev> b = hubs.get("edge").ledger;
        List<Ev> out = new ArrayList<>(a.size() + b.size());
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            boolean canA = i < a.size() && (!causal || a.get(i).peerSeen() <= j);
            boolean canB = j < b.size() && (!causal || b.get(j).peerSeen() <= i);
            if (canA && (!canB || r.nextBoolean())) {
                out.add(a.get(i++));
            } else if (canB) {
                out.add(b.get(j++));
            } else {
                throw new AssertionError("no causal order: " + i + "/" + j);
            }
        }
        return out;
    }
}
