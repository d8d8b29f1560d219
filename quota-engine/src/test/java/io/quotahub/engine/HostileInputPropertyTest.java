package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.testing.ManualClock;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine driven with extreme values at every entrance: tokens, settle reports, Retry-After,
 * settle and grant times, replayed grants, transfer and takeover units of 0, 1, -1,
 * {@code Long.MAX_VALUE}, {@code Long.MIN_VALUE}, values whose sum overflows, just above the
 * capacity bound, and huge durations. After every step:
 * <ul>
 *   <li>every window holds exactly what an independent model of the counting rule says (open leases
 *       at their estimate, settled ones at their clamped report from their clamped settle time for one
 *       window length plus the margin): so no sum wrapped, none went negative, and a release or an
 *       eviction took out exactly what went in;</li>
 *   <li>nothing was admitted beyond a limit: at each grant, this hub's leases in the window (by the
 *       model) plus the grant fit the capacity;</li>
 *   <li>budgets as admission reads them are within [0, capacity], and budgets plus units in flight
 *       never exceed the capacity (I1): a forged event moves at most a capacity's worth, and only moves;</li>
 *   <li>no key cools down longer than the max cooldown after its latest report (plus a lease TTL,
 *       the latest a report is dated) or a failure block; every refusal's retry is positive.</li>
 * </ul>
 */
class HostileInputPropertyTest {

    static final long MARGIN = 100;
    static final long TTL = 5_000;
    static final Duration MAX_COOLDOWN = Duration.ofMinutes(2);
    static final Duration BLOCK_FOR = Duration.ofMinutes(1);
    static final List<String> KEYS = List.of("k1", "k2");
    static final List<String> AGENTS = List.of("a", "b", "c");

    static PoolSpec pool(boolean fairShare) {
        return new PoolSpec("p", List.of(
                new KeySpec("k1", List.of(LimitSpec.requests(20, Duration.ofSeconds(10)), LimitSpec.tokens(1_000, Duration.ofSeconds(10))), 0),
                new KeySpec("k2", List.of(LimitSpec.tokens(500, Duration.ofSeconds(5))), 0)),
                List.of(LimitSpec.requests(30, Duration.ofSeconds(10))), 0, Preset.STANDARD,
                fairShare ? new PoolPolicy(0, 4, 0.5, List.of()) : PoolPolicy.ofDefaults());
    }

    // ---- operations -------------------------------------------------------------------------

    sealed interface Op permits Acquire, Settle, PeerGrant, Advance, Expire, Cancel, PeerTransfer, GiveAway, Takeover,
            Reset, Tick {
    }

    record Acquire(long tokens, int agent, Priority priority) implements Op {
    }

    /** Settles the {@code pick}-th open lease (own or the peer's) with whatever the report says. */
    record Settle(int pick, long tokensUsed, Outcome outcome, long retryAfterMillis, long atOffset) implements Op {
    }

    record PeerGrant(long tokens, int key, long grantOffset, long ttl, int agent) implements Op {
    }

    record Advance(long millis) implements Op {
    }

    record Expire() implements Op {
    }

    record Cancel(int pick) implements Op {
    }

    record PeerTransfer(long units, int ref, boolean toMe, boolean applied, long appliedUnits) implements Op {
    }

    record GiveAway(long units, int ref, boolean revert) implements Op {
    }

    record Takeover(long units, int ref) implements Op {
    }

    record Reset(int key) implements Op {
    }

    record Tick() implements Op {
    }

    static Arbitrary<Long> extreme() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1,
                        Long.MAX_VALUE / 2 + 1, -(Long.MAX_VALUE / 2 + 1), LimitSpec.MAX_CAPACITY, LimitSpec.MAX_CAPACITY + 1,
                        (long) Integer.MAX_VALUE + 1, 315_360_000_000L)),
                Tuple.of(6, Arbitraries.longs().between(0, 1_200)),
                Tuple.of(1, Arbitraries.longs()));
    }

    static Arbitrary<Long> offset() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, extreme()),
                Tuple.of(5, Arbitraries.longs().between(-3_000, 3_000)));
    }

    static Arbitrary<Integer> pick() {
        return Arbitraries.integers().between(0, 50);
    }

    @Provide
    Arbitrary<List<Op>> runs() {
        Arbitrary<Op> acquire = Combinators.combine(extreme(), Arbitraries.integers().between(0, AGENTS.size() - 1),
                Arbitraries.of(Priority.class)).as(Acquire::new);
        Arbitrary<Op> settle = Combinators.combine(pick(), extreme(), Arbitraries.of(Outcome.class), extreme(), offset())
                .as(Settle::new);
        Arbitrary<Op> peerGrant = Combinators.combine(extreme(), Arbitraries.integers().between(0, KEYS.size()),
                offset(), Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(TTL)), Tuple.of(1, extreme())),
                Arbitraries.integers().between(0, AGENTS.size() - 1)).as(PeerGrant::new);
        Arbitrary<Op> advance = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.longs().between(0, 3_000)),
                Tuple.of(1, Arbitraries.longs().between(3_000, 20_000))).map(Advance::new);
        Arbitrary<Op> transfer = Combinators.combine(extreme(), Arbitraries.integers().between(0, 4), Arbitraries.of(true, false),
                Arbitraries.of(true, false), extreme()).as(PeerTransfer::new);
        Arbitrary<Op> giveAway = Combinators.combine(extreme(), Arbitraries.integers().between(0, 4), Arbitraries.of(true, false))
                .as(GiveAway::new);
        Arbitrary<Op> takeover = Combinators.combine(extreme(), Arbitraries.integers().between(0, 4)).as(Takeover::new);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(30, acquire),
                Tuple.of(22, settle),
                Tuple.of(10, peerGrant),
                Tuple.of(15, advance),
                Tuple.of(4, Arbitraries.just(new Expire())),
                Tuple.of(3, pick().map(Cancel::new)),
                Tuple.of(4, transfer),
                Tuple.of(3, giveAway),
                Tuple.of(1, takeover),
                Tuple.of(2, Arbitraries.integers().between(0, KEYS.size() - 1).map(Reset::new)),
                Tuple.of(3, Arbitraries.just(new Tick())));
        return op.list().ofMinSize(1).ofMaxSize(160);
    }

    // ---- the property -----------------------------------------------------------------------

    @Property(tries = 250)
    void extremeValuesAtEveryEntranceNeverBreakAWindowOrABudget(@ForAll("runs") List<Op> ops, @ForAll boolean fairShare) {
        new Run(fairShare).play(ops);
    }

    /** A lease as the model counts it. */
    static final class Held {
        final LeaseRecord lease;
        final boolean own;
        final long estimate;
        final long grantedAt;
        Long chargedAt;
        long charged;

        Held(LeaseRecord lease, boolean own) {
            this.lease = lease;
            this.own = own;
            this.estimate = Math.max(0, Math.min(LimitSpec.MAX_CAPACITY, lease.tokens()));
            this.grantedAt = millis(lease.grantedAt());
        }
    }

    static final class Run {
        final ManualClock clock = new ManualClock(Fixtures.T0);
        final PoolSpec pool;
        final QuotaEngine engine;
        final long maxTokensPerCall;
        final Map<String, Held> leases = new LinkedHashMap<>();
        final List<LimitRef> refs;
        int peerSeq;
        int transfers;
        final List<String> ownTransfers = new ArrayList<>();
        int step;
        Op current;

        Run(boolean fairShare) {
            pool = pool(fairShare);
            engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool))
                    .budgetShares(Map.of("main", 0.5, "edge", 0.5)).settleMargin(Duration.ofMillis(MARGIN))
                    .leaseTtl(Duration.ofMillis(TTL))
                    .cooldown(new CooldownConfig(CooldownConfig.ofDefaults().ladder(), 3, BLOCK_FOR, Duration.ofSeconds(30), MAX_COOLDOWN))
                    .build(), clock, EngineListener.NONE);
            maxTokensPerCall = pool.maxTokensPerCall();
            refs = engine.limitRefs();
        }

        void play(List<Op> ops) {
            for (Op op : ops) {
                step++;
                current = op;
                apply(op);
                check();
            }
        }

        String where() {
            return "step " + step + " " + current;
        }

        List<Held> open() {
            return leases.values().stream().filter(h -> h.chargedAt == null).toList();
        }

        void apply(Op op) {
            long now = clock.millis();
            if (op instanceof Acquire a) {
                Decision d = engine.acquire(new AcquireRequest("p", a.tokens(), a.priority(), AGENTS.get(a.agent()), "r" + step));
                if (d instanceof Decision.Admitted g) {
                    LeaseRecord l = g.lease();
                    assertThat(l.tokens()).as(where()).isBetween(0L, maxTokensPerCall);
                    assertAdmittedWithinEveryLimit(l, now);
                    leases.put(l.leaseId(), new Held(l, true));
                } else {
                    assertThat(((Decision.Denied) d).refusal().retryAfter()).as(where()).isPositive();
                }
            } else if (op instanceof Settle s) {
                List<Held> open = open();
                if (open.isEmpty()) {
                    return;
                }
                Held h = open.get(s.pick() % open.size());
                Instant at = instantAt(now, s.atOffset());
                Settlement settlement = new Settlement(h.lease.leaseId(), s.tokensUsed(), s.outcome(), duration(s.retryAfterMillis()), at);
                assertThat(engine.settle(settlement)).as(where()).isEqualTo(SettleResult.SETTLED);
                h.chargedAt = Math.min(Math.max(h.grantedAt, millis(at)), now + TTL);
                // an expiry, or an UNKNOWN that reported no tokens, charges the estimate
                boolean estimate = s.outcome() == Outcome.EXPIRED || (s.outcome() == Outcome.UNKNOWN && s.tokensUsed() <= 0);
                h.charged = estimate ? h.estimate : Math.max(0, Math.min(maxTokensPerCall, s.tokensUsed()));
                assertThat(engine.settle(settlement)).as("settled once").isEqualTo(SettleResult.ALREADY_SETTLED);
            } else if (op instanceof PeerGrant g) {
                Instant grantedAt = instantAt(now, g.grantOffset());
                Instant expiresAt = Instant.ofEpochMilli(saturatedAdd(millis(grantedAt), g.ttl()));
                String key = g.key() < KEYS.size() ? KEYS.get(g.key()) : "no-such-key";
                LeaseRecord l = new LeaseRecord("edge-x-" + (peerSeq++) + "_peer", "edge", "p", key, g.tokens(), Priority.NORMAL,
                        AGENTS.get(g.agent()), "pr" + step, grantedAt, expiresAt, "digest");
                engine.replayGrant(l);
                if (KEYS.contains(key)) {
                    LeaseRecord counted = engine.openLease(l.leaseId()).orElseThrow();
                    assertThat(counted.tokens()).as(where()).isBetween(0L, LimitSpec.MAX_CAPACITY);
                    leases.put(l.leaseId(), new Held(counted, false));
                } else {
                    assertThat(engine.openLease(l.leaseId())).isEmpty();
                }
            } else if (op instanceof Advance a) {
                clock.advance(Duration.ofMillis(a.millis()));
            } else if (op instanceof Expire) {
                for (Settlement s : engine.expireDue()) {
                    Held h = leases.get(s.leaseId());
                    h.chargedAt = Math.min(Math.max(h.grantedAt, millis(h.lease.expiresAt())), now + TTL);
                    h.charged = h.estimate;
                }
                assertThat(open()).as(where()).allMatch(h -> millis(h.lease.expiresAt()) > now);
            } else if (op instanceof Cancel c) {
                List<Held> own = open().stream().filter(h -> h.own).toList();
                if (!own.isEmpty()) {
                    Held h = own.get(c.pick() % own.size());
                    engine.cancel(h.lease.leaseId());
                    leases.remove(h.lease.leaseId());
                }
            } else if (op instanceof PeerTransfer t) {
                String id = "e" + (transfers++);
                Map<LimitRef, Long> units = units(t.ref(), t.units());
                String from = t.toMe() ? "edge" : "main";
                String to = t.toMe() ? "main" : "edge";
                engine.applyTransfer(id, from, to, units);
                if (t.applied()) {
                    engine.applyTransferApplied(id, from, to, units(t.ref(), t.appliedUnits()));
                }
            } else if (op instanceof GiveAway g) {
                String id = "m" + (transfers++);
                Map<LimitRef, Long> moved = engine.giveAway(id, "edge", units(g.ref(), g.units()));
                for (long u : moved.values()) {
                    assertThat(u).as(where()).isPositive();
                }
                if (g.revert()) {
                    engine.revertTransfer(id);
                }
            } else if (op instanceof Takeover t) {
                engine.applyTakeover("edge", "main", units(t.ref(), t.units()));
            } else if (op instanceof Reset r) {
                assertThat(engine.resetKey("p", KEYS.get(r.key()))).isTrue();
            } else if (op instanceof Tick) {
                engine.tick();
            }
        }

        Map<LimitRef, Long> units(int ref, long units) {
            Map<LimitRef, Long> out = new LinkedHashMap<>();
            out.put(ref < refs.size() ? refs.get(ref) : LimitRef.ofKey("p", "gone", 0), units);
            return out;
        }

        /** At a grant: this hub's leases in each window it counts in, plus the grant, fit the capacity. */
        void assertAdmittedWithinEveryLimit(LeaseRecord l, long now) {
            KeySpec key = pool.keys().stream().filter(k -> k.id().equals(l.keyId())).findFirst().orElseThrow();
            for (LimitSpec limit : key.limits()) {
                long used = used(limit, l.keyId(), now, true);
                assertThat(used + cost(limit, l.tokens())).as("%s: %s of key %s admitted beyond it", where(), limit.describe(), l.keyId())
                        .isLessThanOrEqualTo(limit.capacity());
            }
            for (LimitSpec limit : pool.limits()) {
                long used = used(limit, null, now, true);
                assertThat(used + cost(limit, l.tokens())).as("%s: pool %s admitted beyond it", where(), limit.describe())
                        .isLessThanOrEqualTo(limit.capacity());
            }
        }

        /** The model: units in the window of {@code limit} at {@code now} (of one key, or the pool's). */
        long used(LimitSpec limit, String keyId, long now, boolean ownOnly) {
            long sum = 0;
            long cutoff = now - limit.per().toMillis() - MARGIN;
            for (Held h : leases.values()) {
                if ((ownOnly && !h.own) || (keyId != null && !h.lease.keyId().equals(keyId))) {
                    continue;
                }
                if (h.chargedAt == null) {
                    sum += cost(limit, h.estimate);
                } else if (h.chargedAt > cutoff) {
                    sum += cost(limit, h.charged);
                }
            }
            return sum;
        }

        static long cost(LimitSpec limit, long tokens) {
            return limit.kind() == LimitKind.TOKENS ? tokens : 1;
        }

        void check() {
            long now = clock.millis();
            PoolView p = engine.view().pools().get(0);
            for (int i = 0; i < pool.limits().size(); i++) {
                checkLimit(p.limits().get(i), pool.limits().get(i), null, now);
            }
            for (KeySpec k : pool.keys()) {
                KeyView kv = p.keys().stream().filter(v -> v.id().equals(k.id())).findFirst().orElseThrow();
                for (int i = 0; i < k.limits().size(); i++) {
                    checkLimit(kv.limits().get(i), k.limits().get(i), k.id(), now);
                }
                if (kv.cooldownUntil() != null) {
                    long longest = Math.max(MAX_COOLDOWN.toMillis(), BLOCK_FOR.toMillis());
                    assertThat(kv.cooldownUntil()).as("%s: key %s cools down too long", where(), k.id())
                            .isBeforeOrEqualTo(Instant.ofEpochMilli(now + TTL + longest));
                }
            }
            for (BudgetView b : engine.budgetTable()) {
                assertThat(b.committed()).as("%s: I1 of %s", where(), b.ref()).isLessThanOrEqualTo(b.capacity());
                assertThat(b.inFlight()).as(where()).isNotNegative();
            }
        }

        void checkLimit(LimitView v, LimitSpec spec, String keyId, long now) {
            String what = where() + ": " + spec.describe() + (keyId == null ? " of the pool" : " of key " + keyId);
            assertThat(v.used()).as(what + " holds what the model says").isEqualTo(used(spec, keyId, now, false));
            assertThat(v.used()).as(what + ": a sum went negative").isNotNegative();
            assertThat(v.usedByThisHub()).as(what).isBetween(0L, v.used());
            assertThat(v.budget()).as(what + " budget").isBetween(0L, spec.capacity());
            assertThat(v.remaining()).as(what).isBetween(0L, v.budget());
        }
    }

    // ---- time helpers: saturate as a hub reading extreme numbers would ----------------------------

    static Instant instantAt(long now, long offset) {
        if (offset == Long.MAX_VALUE) {
            return Instant.MAX; // beyond epoch milliseconds
        }
        if (offset == Long.MIN_VALUE) {
            return Instant.MIN;
        }
        return Instant.ofEpochMilli(saturatedAdd(now, offset));
    }

    static long millis(Instant t) {
        if (t.isAfter(Instant.ofEpochMilli(Long.MAX_VALUE))) {
            return Long.MAX_VALUE;
        }
        if (t.isBefore(Instant.ofEpochMilli(Long.MIN_VALUE))) {
            return Long.MIN_VALUE;
        }
        return t.toEpochMilli();
    }

    static Duration duration(long millis) {
        if (millis == Long.MAX_VALUE) {
            return Duration.ofSeconds(Long.MAX_VALUE); // beyond milliseconds
        }
        return Duration.ofMillis(millis);
    }

    static long saturatedAdd(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
