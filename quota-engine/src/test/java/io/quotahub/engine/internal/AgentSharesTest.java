package io.quotahub.engine.internal;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.Settlement;
import io.quotahub.testing.ManualClock;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-agent bookkeeping of fair share is exactly what the open leases add up to, after any
 * mix of grants, peer grants, settles, cancels, expiries and snapshot restores, and holds nothing
 * for an agent without open leases. With the default policy there is none at all.
 */
class AgentSharesTest {

    private static final List<String> AGENTS = List.of("a", "b", "c", "d");

    private static EngineConfig config(PoolPolicy policy) {
        PoolSpec p = new PoolSpec("p", List.of(
                new KeySpec("k1", List.of(LimitSpec.tokens(5_000, Duration.ofSeconds(30)), LimitSpec.requests(40, Duration.ofSeconds(30))), 0),
                new KeySpec("k2", List.of(LimitSpec.tokens(3_000, Duration.ofSeconds(30))), 0)),
                List.of(LimitSpec.requests(60, Duration.ofSeconds(30))), 0, Preset.PREMIUM, policy);
        return EngineConfig.builder("main").budgetShares(java.util.Map.of("main", 0.5, "edge", 0.5)).pools(List.of(p))
                .leaseTtl(Duration.ofSeconds(10)).build();
    }

    @Test
    void theDefaultPolicyKeepsNoPerAgentState() {
        EngineCore core = new EngineCore(config(PoolPolicy.ofDefaults()), new ManualClock(Instant.EPOCH), EngineListener.NONE);
        PoolState p = core.poolState("p");
        assertThat(p.shares).isNull();
        for (KeyState k : p.keys) {
            assertThat(k.agentUnits).isNull();
        }
    }

    @Property(tries = 60)
    void holdingsAreTheSumsOfTheOpenLeases_andVanishWithThem(@ForAll long seed) throws Exception {
        Random rnd = new Random(seed);
        double share = rnd.nextInt(3) == 0 ? 0 : 0.2 + rnd.nextDouble() * 0.5;
        PoolPolicy policy = new PoolPolicy(0, share == 0 ? 1 + rnd.nextInt(3) : rnd.nextInt(4), share, List.of());
        ManualClock clock = new ManualClock(Instant.parse("2026-03-02T12:00:00Z"));
        EngineCore core = new EngineCore(config(policy), clock, EngineListener.NONE);
        List<LeaseRecord> open = new ArrayList<>();
        int peerSeq = 0;
        for (int step = 0; step < 400; step++) {
            int op = rnd.nextInt(100);
            if (op < 40) {
                Decision d = core.acquire(new AcquireRequest("p", rnd.nextInt(1_500), Priority.NORMAL,
                        AGENTS.get(rnd.nextInt(AGENTS.size())), "r" + step));
                if (d instanceof Decision.Admitted g) {
                    open.add(g.lease());
                }
            } else if (op < 55) {
                LeaseRecord peer = new LeaseRecord("edge-x-" + (peerSeq++) + "_p", "edge", "p", rnd.nextBoolean() ? "k1" : "k2",
                        rnd.nextInt(1_000), Priority.NORMAL, AGENTS.get(rnd.nextInt(AGENTS.size())), "pr" + step,
                        clock.instant().minusMillis(rnd.nextInt(5_000)), clock.instant().plusMillis(rnd.nextInt(10_000)));
                core.replayGrant(peer);
                open.add(peer);
            } else if (op < 75 && !open.isEmpty()) {
                LeaseRecord l = open.remove(rnd.nextInt(open.size()));
                core.settle(new Settlement(l.leaseId(), rnd.nextInt(2_000), Outcome.OK, Duration.ZERO, clock.instant()));
            } else if (op < 80 && !open.isEmpty()) {
                core.cancel(open.remove(rnd.nextInt(open.size())).leaseId());
            } else if (op < 90) {
                clock.advance(Duration.ofMillis(rnd.nextInt(3_000)));
                for (Settlement s : core.expireDue()) {
                    open.removeIf(l -> l.leaseId().equals(s.leaseId()));
                }
            } else if (op < 92) {
                byte[] bytes = core.snapshots().write();
                EngineCore restored = new EngineCore(config(policy), clock, EngineListener.NONE);
                restored.snapshots().read(bytes);
                core = restored;
            }
            assertMatchesTheOpenLeases(core, "seed " + seed + " step " + step);
        }
        for (LeaseRecord l : List.copyOf(open)) {
            core.settle(new Settlement(l.leaseId(), 0, Outcome.OK, Duration.ZERO, clock.instant()));
        }
        PoolState p = core.poolState("p");
        assertThat(p.shares.agents()).isZero();
        for (KeyState k : p.keys) {
            assertThat(k.agentUnits == null || k.agentUnits.isEmpty()).isTrue();
        }
    }

    private static void assertMatchesTheOpenLeases(EngineCore core, String where) {
        PoolState p = core.poolState("p");
        List<LeaseRecord> leases = core.openLeases();
        int holders = 0;
        for (String agent : AGENTS) {
            List<LeaseRecord> mine = leases.stream().filter(l -> l.agentId().equals(agent)).toList();
            AgentShares.Holding h = p.shares.holding(agent);
            if (mine.isEmpty()) {
                assertThat(h).as(where).isNull();
                continue;
            }
            holders++;
            assertThat(h.open).as(where).isEqualTo(mine.size());
            long earliest = mine.stream().mapToLong(l -> l.expiresAt().toEpochMilli()).min().orElseThrow();
            assertThat(h.first.expiresAtMillis).as(where + ": first is the earliest expiry").isEqualTo(earliest);
            if (h.poolUnits != null) {
                for (int i = 0; i < p.windows.length; i++) {
                    SlidingWindow w = p.windows[i];
                    assertThat(h.poolUnits[i]).as(where).isEqualTo(mine.stream().mapToLong(l -> w.cost(l.tokens())).sum());
                }
                for (KeyState k : p.keys) {
                    List<LeaseRecord> atKey = mine.stream().filter(l -> l.keyId().equals(k.id())).toList();
                    long[] units = k.agentUnits.get(agent);
                    if (atKey.isEmpty()) {
                        assertThat(units).as(where).isNull();
                        continue;
                    }
                    assertThat(units[k.windows.length]).as(where).isEqualTo(atKey.size());
                    for (int i = 0; i < k.windows.length; i++) {
                        SlidingWindow w = k.windows[i];
                        assertThat(units[i]).as(where).isEqualTo(atKey.stream().mapToLong(l -> w.cost(l.tokens())).sum());
                    }
                }
            }
        }
        assertThat(p.shares.agents()).as(where).isEqualTo(holders);
    }
}
