package io.quotahub.engine.internal;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.CircuitState;
import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.Refusal;
import io.quotahub.engine.Settlement;
import io.quotahub.engine.ThermalConfig;
import io.quotahub.engine.Zone;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The incremental key selection ({@link KeyOrder}: refresh only due or touched keys, examine keys
 * in selection order and stop early) decides exactly as the plain algorithm (refresh and check
 * every key on every decision): same decisions, same refusals and retry times, same events in the
 * same order, same views, over random runs with small limits, cooldowns, circuits, throttling,
 * error heat, calendar days, budgets moved between hubs and a clock that jumps.
 */
class KeyOrderAgreesWithScanTest {

    @Test
    void incrementalSelection_decidesExactlyAsScanningEveryKey() {
        for (int seed = 0; seed < 250; seed++) {
            run(seed, 600);
        }
    }

    private static void run(long seed, int steps) {
        Random rnd = new Random(seed);
        EngineConfig config = randomConfig(rnd);
        Instant start = Instant.parse("2026-03-02T23:59:00Z").plusMillis(rnd.nextInt(120_000));
        ManualClock clockA = new ManualClock(start);
        ManualClock clockB = new ManualClock(start);
        List<String> eventsA = new ArrayList<>();
        List<String> eventsB = new ArrayList<>();
        EngineCore a = new EngineCore(config, clockA, recorder(eventsA), KeySelection.ORDERED, new Random(seed));
        EngineCore b = new EngineCore(config, clockB, recorder(eventsB), new ScanSelection(), new Random(seed));
        List<LeaseRecord> open = new ArrayList<>();
        List<String> transfers = new ArrayList<>();
        List<LimitRef> refs = a.budgetProtocol().refs();
        for (int step = 0; step < steps; step++) {
            String where = "seed " + seed + " step " + step;
            int op = rnd.nextInt(100);
            if (op < 25) {
                long ms = switch (rnd.nextInt(6)) {
                    case 0, 1 -> 0;
                    case 2 -> 1 + rnd.nextInt(20);
                    case 3 -> rnd.nextInt(400);
                    case 4 -> rnd.nextInt(4_000);
                    default -> rnd.nextInt(70_000);
                };
                clockA.advance(Duration.ofMillis(ms));
                clockB.advance(Duration.ofMillis(ms));
            } else if (op < 62) {
                PoolSpec pool = config.pools().get(rnd.nextInt(config.pools().size()));
                AcquireRequest r = new AcquireRequest(rnd.nextInt(40) == 0 ? "nope" : pool.name(),
                        rnd.nextInt(8) == 0 ? rnd.nextInt(300) : rnd.nextInt(4),
                        Priority.values()[rnd.nextInt(Priority.values().length)], "agent", "r" + step);
                Decision da = a.acquire(r);
                Decision db = b.acquire(r);
                assertThat(da).as(where).isEqualTo(db);
                if (da instanceof Decision.Admitted g) {
                    open.add(g.lease());
                }
            } else if (op < 82 && !open.isEmpty()) {
                LeaseRecord l = open.remove(rnd.nextInt(open.size()));
                Outcome outcome = switch (rnd.nextInt(20)) {
                    case 0, 1, 2 -> Outcome.RATE_LIMITED;
                    case 3, 4, 5 -> Outcome.ERROR;
                    case 6 -> Outcome.AUTH_FAILED;
                    case 7 -> Outcome.EXPIRED;
                    default -> Outcome.OK;
                };
                Duration retry = rnd.nextBoolean() ? Duration.ZERO : Duration.ofMillis(rnd.nextInt(5_000));
                Instant at = clockA.instant().minusMillis(rnd.nextInt(4) == 0 ? rnd.nextInt(3_000) : 0);
                Settlement s = new Settlement(l.leaseId(), rnd.nextInt(50), outcome, retry, at);
                assertThat(a.settle(s)).as(where).isEqualTo(b.settle(s));
                if (rnd.nextInt(10) == 0) { // a retried settle
                    assertThat(a.settle(s)).as(where).isEqualTo(b.settle(s));
                }
            } else if (op < 85 && !open.isEmpty()) {
                String id = open.remove(rnd.nextInt(open.size())).leaseId();
                a.cancel(id);
                b.cancel(id);
            } else if (op < 91) {
                a.tick();
                b.tick();
            } else if (op < 93) {
                List<Settlement> ea = a.expireDue();
                assertThat(ea).as(where).isEqualTo(b.expireDue());
                for (Settlement s : ea) {
                    open.removeIf(l -> l.leaseId().equals(s.leaseId()));
                }
            } else if (op < 94) {
                PoolSpec pool = config.pools().get(rnd.nextInt(config.pools().size()));
                String key = pool.keys().get(rnd.nextInt(pool.keys().size())).id();
                assertThat(a.enableKey(pool.name(), key)).isEqualTo(b.enableKey(pool.name(), key));
            } else if (op < 96) {
                assertThat(a.view()).as(where).isEqualTo(b.view());
            } else if (op < 98 && config.budgetShares().size() > 1) {
                Map<LimitRef, Long> want = new HashMap<>();
                for (int i = 0; i < 3; i++) {
                    want.put(refs.get(rnd.nextInt(refs.size())), 1L + rnd.nextInt(5));
                }
                String id = "main-t" + step;
                assertThat(a.budgetProtocol().giveAway(id, "edge", want)).as(where).isEqualTo(b.budgetProtocol().giveAway(id, "edge", want));
                transfers.add(id);
            } else if (op < 99 && !transfers.isEmpty()) {
                String id = transfers.remove(rnd.nextInt(transfers.size()));
                assertThat(a.budgetProtocol().revert(id)).isEqualTo(b.budgetProtocol().revert(id));
            } else if (config.budgetShares().size() > 1) {
                // a peer's grant folded in, on a random key
                PoolSpec pool = config.pools().get(0);
                KeySpec key = pool.keys().get(rnd.nextInt(pool.keys().size()));
                Instant now = clockA.instant();
                LeaseRecord peer = new LeaseRecord("edge-x-" + step, "edge", pool.name(), key.id(), rnd.nextInt(3), Priority.NORMAL,
                        "agent", "p" + step, now, now.plusSeconds(5));
                a.replayGrant(peer);
                b.replayGrant(peer);
                open.add(peer);
            }
            assertThat(eventsA).as(where).isEqualTo(eventsB);
        }
        assertThat(a.view()).isEqualTo(b.view());
        assertThat(a.budgetProtocol().table()).isEqualTo(b.budgetProtocol().table());
    }

    private static EngineConfig randomConfig(Random rnd) {
        int pools = 1 + rnd.nextInt(2);
        List<PoolSpec> specs = new ArrayList<>();
        for (int p = 0; p < pools; p++) {
            int n = 1 + rnd.nextInt(9);
            List<KeySpec> keys = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                List<LimitSpec> limits = new ArrayList<>();
                limits.add(LimitSpec.requests(2 + rnd.nextInt(30), Duration.ofMillis(500 + rnd.nextInt(20_000))));
                if (rnd.nextInt(3) == 0) {
                    limits.add(LimitSpec.tokens(20 + rnd.nextInt(400), Duration.ofMillis(1_000 + rnd.nextInt(30_000))));
                }
                if (rnd.nextInt(6) == 0) {
                    limits.add(LimitSpec.requestsPerCalendarDay(20 + rnd.nextInt(200), java.time.ZoneOffset.UTC));
                }
                if (rnd.nextInt(4) == 0) { // identical keys: ties on room and temperature
                    limits = List.of(LimitSpec.requests(10, Duration.ofSeconds(5)));
                }
                keys.add(new KeySpec("k" + i, limits, rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0));
            }
            List<LimitSpec> poolLimits = rnd.nextInt(3) == 0
                    ? List.of(LimitSpec.requests(10 + rnd.nextInt(60), Duration.ofSeconds(10))) : List.of();
            specs.add(new PoolSpec("p" + p, keys, poolLimits, rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(6) : 0,
                    Preset.values()[rnd.nextInt(Preset.values().length)]));
        }
        EngineConfig.Builder b = EngineConfig.builder("main").pools(specs)
                .settleMargin(Duration.ofMillis(rnd.nextInt(300)))
                .leaseTtl(Duration.ofMillis(500 + rnd.nextInt(10_000)))
                .cooldown(new CooldownConfig(List.of(Duration.ofMillis(100 + rnd.nextInt(500)), Duration.ofMillis(1_000)),
                        1 + rnd.nextInt(3), Duration.ofMillis(rnd.nextInt(5_000)), Duration.ofMillis(200 + rnd.nextInt(3_000))))
                .thermal(new ThermalConfig(Duration.ofMillis(rnd.nextInt(5_000)), 0.1 + 0.9 * rnd.nextDouble()));
        if (rnd.nextBoolean()) {
            b.budgetShares(Map.of("main", 0.5, "edge", 0.5));
        }
        return b.build();
    }

    private static EngineListener recorder(List<String> out) {
        return new EngineListener() {
            @Override
            public void onGranted(LeaseRecord lease) {
                out.add("granted " + lease.leaseId() + " " + lease.keyId());
            }

            @Override
            public void onRefused(String pool, Refusal refusal) {
                out.add("refused " + pool + " " + refusal);
            }

            @Override
            public void onSettled(LeaseRecord lease, Settlement settlement) {
                out.add("settled " + lease.leaseId());
            }

            @Override
            public void onZoneChanged(String pool, String keyId, Zone from, Zone to) {
                out.add("zone " + pool + "/" + keyId + " " + from + "->" + to);
            }

            @Override
            public void onCircuitChanged(String pool, String keyId, CircuitState from, CircuitState to) {
                out.add("circuit " + pool + "/" + keyId + " " + from + "->" + to);
            }

            @Override
            public void onKeyDisabled(String pool, String keyId) {
                out.add("disabled " + pool + "/" + keyId);
            }
        };
    }
}
