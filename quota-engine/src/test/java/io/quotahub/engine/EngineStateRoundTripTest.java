package io.quotahub.engine;

import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.quotahub.engine.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Differential test of snapshots: an engine driven by random operations is written to bytes at a
 * random point and restored into a fresh engine; from then on both get the same operations and
 * must answer exactly alike (decisions, settle results, expiries, views, budget tables).
 */
class EngineStateRoundTripTest {

    private static EngineConfig config() {
        PoolSpec p = new PoolSpec("p", List.of(
                new KeySpec("k1", List.of(LimitSpec.requests(20, Duration.ofSeconds(10)), LimitSpec.tokens(20_000, Duration.ofMinutes(1))), 0),
                new KeySpec("k2", List.of(LimitSpec.requests(30, Duration.ofMinutes(1))), 3),
                new KeySpec("k3", List.of(LimitSpec.requestsPerCalendarDay(200, ZoneId.of("America/Los_Angeles"))), 0)),
                List.of(LimitSpec.requests(60, Duration.ofMinutes(1))), 0, Preset.CONSERVATIVE);
        PoolSpec q = new PoolSpec("q", List.of(
                new KeySpec("a", List.of(LimitSpec.tokens(5_000, Duration.ofSeconds(30))), 0),
                new KeySpec("b", List.of(LimitSpec.tokens(5_000, Duration.ofSeconds(30))), 0)),
                List.of(), 0, Preset.AGGRESSIVE);
        return EngineConfig.builder("main").budgetShares(Map.of("main", 0.6, "edge", 0.4)).pools(List.of(p, q))
                .leaseTtl(Duration.ofSeconds(20)).build();
    }

    /** Two engines fed the same operations; lease ids of the restored one are mapped to the original's. */
    private static final class Pair {
        final ManualClock clockA = new ManualClock(T0);
        final QuotaEngine a = new QuotaEngine(config(), clockA, EngineListener.NONE);
        ManualClock clockB;
        QuotaEngine b;
        final Map<String, String> idOfB = new HashMap<>(); // B's lease id -> A's
        final List<LeaseRecord> open = new ArrayList<>();        // A's leases, for settles
        final Random random;
        int edgeSeq;
        int transfers;
        int steps;

        Pair(long seed) {
            random = new Random(seed);
        }

        void restoreB() throws EngineStateException {
            byte[] state = a.writeState();
            clockB = new ManualClock(clockA.instant().plusMillis(0));
            b = new QuotaEngine(config(), clockB, EngineListener.NONE);
            b.readState(state); // B's lease ids get B's own (newer) epoch, as a restarted hub's do
        }

        String bId(String aId) {
            for (var e : idOfB.entrySet()) {
                if (e.getValue().equals(aId)) {
                    return e.getKey();
                }
            }
            return aId; // granted before the snapshot, or by the peer: same id in both
        }

        void step() {
            steps++;
            int op = random.nextInt(100);
            if (op < 40) {
                String pool = random.nextBoolean() ? "p" : "q";
                AcquireRequest r = new AcquireRequest(pool, 1 + random.nextInt(pool.equals("q") ? 3000 : 2000),
                        Priority.values()[random.nextInt(Priority.values().length)], "ag", "r" + steps,
                        random.nextInt(5) == 0 ? "" : "digest-" + steps);
                Decision da = a.acquire(r);
                if (b != null) {
                    Decision db = b.acquire(r);
                    assertSame(da, db);
                }
                if (da instanceof Decision.Admitted g) {
                    open.add(g.lease());
                }
            } else if (op < 70 && !open.isEmpty()) {
                LeaseRecord l = open.remove(random.nextInt(open.size()));
                Outcome o = Outcome.values()[random.nextInt(10) < 6 ? 0 : random.nextInt(Outcome.values().length)];
                Duration retry = o == Outcome.RATE_LIMITED && random.nextBoolean() ? Duration.ofMillis(random.nextInt(5000)) : Duration.ZERO;
                Settlement s = new Settlement(l.leaseId(), random.nextInt((int) Math.max(1, l.tokens() * 2)), o, retry, clockA.instant());
                SettleResult ra = a.settle(s);
                if (b != null) {
                    Settlement sb = new Settlement(bId(l.leaseId()), s.tokensUsed(), o, retry, s.settledAt());
                    assertThat(b.settle(sb)).isEqualTo(ra);
                }
                if (random.nextInt(10) == 0) {
                    open.add(l); // settle again later: must be ALREADY_SETTLED on both
                }
            } else if (op < 78) {
                LeaseRecord peer = new LeaseRecord("edge-k" + Long.toString(T0.toEpochMilli(), 36) + "-" + (edgeSeq++), "edge",
                        random.nextBoolean() ? "p" : "q", random.nextBoolean() ? "k1" : "a", 1 + random.nextInt(500), Priority.NORMAL,
                        "peer-agent", "pr" + edgeSeq, clockA.instant(), clockA.instant().plusSeconds(20), "peer-digest-" + edgeSeq);
                both(e -> e.replayGrant(peer));
                open.add(peer);
            } else if (op < 82) {
                String id = "t" + (++transfers);
                Map<LimitRef, Long> units = Map.of(LimitRef.ofKey("q", "a", 0), 100L + random.nextInt(300));
                if (random.nextBoolean()) {
                    Map<LimitRef, Long> ga = a.giveAway(id, "edge", units);
                    if (b != null) {
                        assertThat(b.giveAway(id, "edge", units)).isEqualTo(ga);
                    }
                    if (random.nextBoolean() && !ga.isEmpty()) {
                        both(e -> e.applyTransferApplied(id, "main", "edge", ga));
                    }
                } else {
                    both(e -> e.applyTransfer("e" + id, "edge", "main", units));
                    if (random.nextBoolean()) {
                        both(e -> e.applyTransferApplied("e" + id, "edge", "main", units));
                    }
                }
            } else if (op < 83) {
                Map<LimitRef, Long> units = a.budgetsOf("edge");
                both(e -> e.applyTakeover("edge", "main", units));
            } else if (op < 92) {
                Duration by = Duration.ofMillis(random.nextInt(random.nextInt(20) == 0 ? 120_000 : 4_000));
                clockA.advance(by);
                if (clockB != null) {
                    clockB.advance(by);
                }
            } else if (op < 96) {
                both(QuotaEngine::tick);
            } else if (op < 99) {
                List<Settlement> ea = a.expireDue();
                if (b != null) {
                    List<Settlement> eb = b.expireDue();
                    // same leases; equal expiries tie-break on the lease id, which differs for B's own grants
                    assertThat(eb.stream().map(s -> idOfA(s.leaseId())).toList())
                            .containsExactlyInAnyOrderElementsOf(ea.stream().map(Settlement::leaseId).toList());
                }
            } else {
                both(e -> e.enableKey("p", "k2"));
            }
            if (b != null) {
                sameText("view", a.view().toString(), b.view().toString());
                assertThat(b.budgetTable()).isEqualTo(a.budgetTable());
            }
        }

        void sameText(String what, String expected, String actual) {
            if (!expected.equals(actual)) {
                int i = 0;
                while (i < Math.min(expected.length(), actual.length()) && expected.charAt(i) == actual.charAt(i)) {
                    i++;
                }
                int from = Math.max(0, i - 300);
                throw new AssertionError(what + " differs at step " + steps + ":\n original: ..."
                        + expected.substring(from, Math.min(expected.length(), i + 120)) + "\n restored: ..."
                        + actual.substring(from, Math.min(actual.length(), i + 120)));
            }
        }

        String idOfA(String bId) {
            return idOfB.getOrDefault(bId, bId);
        }

        void assertSame(Decision da, Decision db) {
            if (da instanceof Decision.Admitted ga) {
                assertThat(db).as("step %d", steps).isInstanceOf(Decision.Admitted.class);
                LeaseRecord la = ga.lease();
                LeaseRecord lb = ((Decision.Admitted) db).lease();
                assertThat(lb.keyId()).isEqualTo(la.keyId());
                assertThat(new LeaseRecord(la.leaseId(), lb.hubId(), lb.pool(), lb.keyId(), lb.tokens(), lb.priority(), lb.agentId(),
                        lb.requestId(), lb.grantedAt(), lb.expiresAt(), lb.holderDigest())).isEqualTo(la);
                idOfB.put(lb.leaseId(), la.leaseId());
            } else {
                assertThat(db).as("step %d", steps).isEqualTo(da);
            }
        }

        void both(java.util.function.Consumer<QuotaEngine> op) {
            op.accept(a);
            if (b != null) {
                op.accept(b);
            }
        }
    }

    @Test
    void restoredEngineDecidesExactlyLikeTheOriginal_randomHistories() throws Exception {
        for (long seed = 1; seed <= 60; seed++) {
            Pair pair = new Pair(seed);
            int before = 50 + pair.random.nextInt(600);
            for (int i = 0; i < before; i++) {
                pair.step();
            }
            pair.restoreB();
            pair.sameText("view after restore", pair.a.view().toString(), pair.b.view().toString());
            assertThat(pair.b.openLeases()).containsExactlyInAnyOrderElementsOf(pair.a.openLeases());
            for (int i = 0; i < 400; i++) {
                pair.step();
            }
        }
    }

    @Test
    void openLeasesKeepTheirHolderDigestAcrossASnapshot() throws Exception {
        ManualClock clock = new ManualClock(T0);
        QuotaEngine a = new QuotaEngine(config(), clock, EngineListener.NONE);
        LeaseRecord own = ((Decision.Admitted) a.acquire(new AcquireRequest("q", 1, Priority.NORMAL, "ag", "r1", "own-digest"))).lease();
        LeaseRecord none = ((Decision.Admitted) a.acquire(new AcquireRequest("q", 1, Priority.NORMAL, "ag", "r2"))).lease();
        LeaseRecord peer = new LeaseRecord("edge-x-0_abc", "edge", "q", "a", 5, Priority.NORMAL, "peer", "pr", clock.instant(),
                clock.instant().plusSeconds(20), "peer-digest");
        a.replayGrant(peer);
        QuotaEngine b = new QuotaEngine(config(), clock, EngineListener.NONE);
        b.readState(a.writeState());
        assertThat(b.openLease(own.leaseId()).orElseThrow().holderDigest()).isEqualTo("own-digest");
        assertThat(b.openLease(none.leaseId()).orElseThrow().holderDigest()).isEmpty();
        assertThat(b.openLease(peer.leaseId()).orElseThrow().holderDigest()).isEqualTo("peer-digest");
        assertThat(b.openLeases()).containsExactlyInAnyOrderElementsOf(a.openLeases());
    }

    @Test
    void openLeasesKeepTheirPrincipalAcrossASnapshot() throws Exception {
        ManualClock clock = new ManualClock(T0);
        QuotaEngine a = new QuotaEngine(config(), clock, EngineListener.NONE);
        LeaseRecord own = ((Decision.Admitted) a.acquire(new AcquireRequest("q", 1, Priority.NORMAL, "ag", "r1", "d", "nats:alice"))).lease();
        LeaseRecord none = ((Decision.Admitted) a.acquire(new AcquireRequest("q", 1, Priority.NORMAL, "ag", "r2", "d"))).lease();
        LeaseRecord peer = new LeaseRecord("edge-x-0_abc", "edge", "q", "a", 5, Priority.NORMAL, "peer", "pr", clock.instant(),
                clock.instant().plusSeconds(20), "peer-digest", "token:agents");
        a.replayGrant(peer);
        QuotaEngine b = new QuotaEngine(config(), clock, EngineListener.NONE);
        b.readState(a.writeState());
        assertThat(own.principal()).isEqualTo("nats:alice");
        assertThat(b.openLease(own.leaseId()).orElseThrow().principal()).isEqualTo("nats:alice");
        assertThat(b.openLease(none.leaseId()).orElseThrow().principal()).isEmpty();
        assertThat(b.openLease(peer.leaseId()).orElseThrow().principal()).isEqualTo("token:agents");
    }

    @Test
    void aSnapshotFitsOnlyTheSamePolicyAndMaxCooldown() {
        ManualClock clock = new ManualClock(T0);
        byte[] state = new QuotaEngine(config(), clock, EngineListener.NONE).writeState();
        EngineConfig base = config();
        EngineConfig otherCooldown = EngineConfig.builder("main").budgetShares(base.budgetShares()).pools(base.pools())
                .leaseTtl(base.leaseTtl()).cooldown(base.cooldown().withMaxCooldown(Duration.ofMinutes(5))).build();
        assertThatThrownBy(() -> QuotaEngine.checkState(otherCooldown, clock, state))
                .isInstanceOf(EngineStateException.class).hasMessageContaining("another configuration");
        List<PoolSpec> pools = new ArrayList<>(base.pools());
        PoolSpec q = pools.get(1);
        pools.set(1, new PoolSpec(q.name(), q.keys(), q.limits(), q.maxConcurrent(), q.preset(),
                new PoolPolicy(0, 3, 0.5, List.of())));
        EngineConfig otherPolicy = EngineConfig.builder("main").budgetShares(base.budgetShares()).pools(pools)
                .leaseTtl(base.leaseTtl()).build();
        assertThatThrownBy(() -> QuotaEngine.checkState(otherPolicy, clock, state))
                .isInstanceOf(EngineStateException.class).hasMessageContaining("another configuration");
    }

    @Test
    void restoredLeaseIdsNeverRepeatTheWritersIds() throws Exception {
        ManualClock clock = new ManualClock(T0);
        QuotaEngine a = new QuotaEngine(config(), clock, EngineListener.NONE);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(((Decision.Admitted) a.acquire(new AcquireRequest("q", 1, Priority.NORMAL, "ag", "r" + i))).lease().leaseId());
        }
        QuotaEngine b = new QuotaEngine(config(), clock, EngineListener.NONE); // same clock: same epoch
        b.readState(a.writeState());
        String next = ((Decision.Admitted) b.acquire(new AcquireRequest("q", 1, Priority.NORMAL, "ag", "r9"))).lease().leaseId();
        assertThat(ids).doesNotContain(next);
    }

    @Test
    void corruptTruncatedOrForeignStateIsRefusedWithAClearError() {
        ManualClock clock = new ManualClock(T0);
        QuotaEngine a = new QuotaEngine(config(), clock, EngineListener.NONE);
        a.acquire(new AcquireRequest("p", 10, Priority.NORMAL, "ag", "r1"));
        byte[] state = a.writeState();

        byte[] truncated = java.util.Arrays.copyOf(state, state.length - 5);
        assertThatThrownBy(() -> QuotaEngine.checkState(config(), clock, truncated)).isInstanceOf(EngineStateException.class);

        byte[] badVersion = state.clone();
        badVersion[7] = 99;
        assertThatThrownBy(() -> QuotaEngine.checkState(config(), clock, badVersion))
                .isInstanceOf(EngineStateException.class).hasMessageContaining("version");

        EngineConfig other = EngineConfig.builder("main").budgetShares(Map.of("main", 0.6, "edge", 0.4))
                .pools(List.of(new PoolSpec("p", List.of(new KeySpec("k1", List.of(LimitSpec.requests(21, Duration.ofSeconds(10))), 0)),
                        List.of(), 0, Preset.CONSERVATIVE)))
                .leaseTtl(Duration.ofSeconds(20)).build();
        assertThatThrownBy(() -> QuotaEngine.checkState(other, clock, state))
                .isInstanceOf(EngineStateException.class).hasMessageContaining("another configuration");

        QuotaEngine used = new QuotaEngine(config(), clock, EngineListener.NONE);
        used.acquire(new AcquireRequest("p", 10, Priority.NORMAL, "ag", "r2"));
        assertThatThrownBy(() -> used.readState(state)).isInstanceOf(IllegalStateException.class);
    }
}
