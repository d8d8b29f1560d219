package io.quotahub.engine.internal;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.Decision;
import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.ExternalUse;
import io.quotahub.engine.LimitObservation;
import io.quotahub.engine.ReportedLimit;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitRef;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.Settlement;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the snapshot format (version {@value EngineState#VERSION}, and that version 3 still reads): a fixed scenario, driven by a
 * {@link ManualClock} and seeded lease ids, touches every part of the state (lease ids, settled ids,
 * two hubs' budgets, transfers pending and applied, pool and key windows with entries, a calendar
 * day, cooldown, an open circuit with its probe, a disabled key, thermal history, burst guards, the
 * key order, open leases with and without agent and request ids). Its bytes were recorded
 * ({@code snapshot-v3.b64}) before the layout moved into one codec. Version 4 adds each key's learned
 * cooldown, external use and observed provider limits: the same scenario plus 429s right after a
 * cooldown and provider reports is recorded in {@code snapshot-v4.b64}. Version 5 adds each open
 * lease's block calls: the version-4 scenario plus blocks (one open, one settled having used part of
 * it) is recorded in {@code snapshot-v5.b64} (re-recorded once, in the same format, when block sizing
 * began to keep keys below their throttle: the open block holds 2 calls, not 3; the recording before
 * still read and wrote back byte for byte). Bytes must not change without a version bump, and a
 * snapshot written by an older build (of this version, 4 or 3) must still restore.
 */
class SnapshotFormatTest {

    private static final Instant T0 = Instant.parse("2026-03-02T23:59:30Z");
    private static final String RECORDED = "snapshot-v3.b64";
    /** SHA-256 of the recorded bytes (a second guard: the resource itself must not be re-recorded). */
    private static final String RECORDED_SHA256 = "536173d635086b2143be9d531b9ef4f13379caaa3d3f99deded684ecca4a9617";
    private static final String RECORDED_V4 = "snapshot-v4.b64";
    private static final String RECORDED_V4_SHA256 = "df55b66daa8609c6eff5bda6f66e6dfb6ea80582549bd3c2de4ebb21c12bab50";
    private static final String RECORDED_V5 = "snapshot-v5.b64";
    private static final String RECORDED_V5_SHA256 = "a8f7c3b98aa8e70eb5706a8fd13d1438cac19b331fe87e7ebc2f5d89b9560770";

    @Test
    void snapshotOfAFixedScenario_isByteForByteTheRecordedVersion5() throws Exception {
        Scenario s = Scenario.run(5);
        byte[] written = write(s.engine);
        assertThat(EngineState.VERSION).isEqualTo(5);
        assertThat(sha256(written)).isEqualTo(RECORDED_V5_SHA256);
        assertThat(written).isEqualTo(recorded(RECORDED_V5));
    }

    @Test
    void recordedVersion5Snapshot_restoresItsBlocksAndWritesBackTheSameBytes() throws Exception {
        byte[] recorded = recorded(RECORDED_V5);
        Scenario original = Scenario.run(5);
        ManualClock clock = new ManualClock(T0);
        EngineCore restored = Scenario.engine(clock);
        clock.set(original.clock.instant());
        restored.snapshots().read(recorded);

        assertThat(write(restored)).isEqualTo(recorded);
        assertThat(restored.openLeases()).anyMatch(l -> l.blockCalls() > 1)
                .containsExactlyInAnyOrderElementsOf(original.engine.openLeases());
        assertThat(restored.view()).isEqualTo(original.engine.view());
        assertThat(restored.budgetProtocol().table()).isEqualTo(original.engine.budgetProtocol().table());
    }

    @Test
    void recordedVersion4Snapshot_restoresAsTheStateThatWroteIt() throws Exception {
        byte[] recorded = recorded(RECORDED_V4);
        assertThat(sha256(recorded)).isEqualTo(RECORDED_V4_SHA256);
        Scenario original = Scenario.run(4);
        ManualClock clock = new ManualClock(T0);
        EngineCore restored = Scenario.engine(clock);
        clock.set(original.clock.instant());
        restored.snapshots().read(recorded);

        // written back in the current format (every open lease one call), it reads again to the same state
        EngineCore again = Scenario.engine(new ManualClock(original.clock.instant()));
        again.snapshots().read(write(restored));
        assertThat(again.view()).isEqualTo(restored.view());
        assertThat(restored.view()).isEqualTo(original.engine.view());
        assertThat(restored.budgetProtocol().table()).isEqualTo(original.engine.budgetProtocol().table());
        assertThat(restored.openLeases()).allMatch(l -> !l.isBlock())
                .containsExactlyInAnyOrderElementsOf(original.engine.openLeases());
    }

    @Test
    void fixedScenarioWithVersion4Parts_holdsALearnedCooldownExternalUseAndAnObservedLimit() {
        Scenario s = Scenario.run(4);
        String view = s.engine.view().toString();
        assertThat(view).contains("observedLimit=4,");
        assertThat(s.engine.view().pools().get(0).keys().get(0).externalBooked()).isPositive();
        assertThat(s.engine.view().pools().get(0).keys()).anyMatch(k -> !k.learnedCooldown().isZero());
    }

    @Test
    void fixedScenario_reachesEveryPartOfTheState() {
        Scenario s = Scenario.run();
        String view = s.engine.view().toString();
        assertThat(view).contains("errors=3,").contains("disabled=true").contains("zone=THROTTLED").contains("cooldownUntil=2026");
        assertThat(s.engine.openLeases()).anyMatch(l -> l.agentId() == null).anyMatch(l -> l.hubId().equals("main"));
        assertThat(s.engine.budgetProtocol().table()).anyMatch(b -> b.inFlight() > 0);
        assertThat(s.engine.poolState("p").keys[1].burst).isNotNull();
        assertThat(s.engine.poolState("p").windows[0].usedAll()).isPositive();
    }

    @Test
    void recordedVersion3Snapshot_restoresAsTheStateThatWroteItWithoutReports() throws Exception {
        byte[] recorded = recorded();
        assertThat(sha256(recorded)).isEqualTo(RECORDED_SHA256);
        Scenario original = Scenario.run();
        ManualClock clock = new ManualClock(T0);
        EngineCore restored = Scenario.engine(clock);
        clock.set(original.clock.instant());
        restored.snapshots().read(recorded);

        // written back in the current format, it reads again to the same state (its bytes differ from the
        // original engine's only where version 4 adds: the last cooldown's length a version-3 state lacks)
        EngineCore again = Scenario.engine(new ManualClock(original.clock.instant()));
        again.snapshots().read(write(restored));
        assertThat(again.view()).isEqualTo(restored.view());
        assertThat(restored.view()).isEqualTo(original.engine.view());
        assertThat(restored.budgetProtocol().table()).isEqualTo(original.engine.budgetProtocol().table());
        assertThat(restored.openLeases()).containsExactlyInAnyOrderElementsOf(original.engine.openLeases());
        assertThat(restored.view().pools()).allSatisfy(p -> assertThat(p.keys()).allMatch(k -> k.learnedCooldown().isZero()));
        // and it goes on deciding as the engine that wrote it
        for (int i = 0; i < 12; i++) {
            original.clock.advance(Duration.ofMillis(700));
            clock.advance(Duration.ofMillis(700));
            AcquireRequest r = new AcquireRequest(i % 3 == 0 ? "q" : "p", 1 + i * 40, Priority.NORMAL, "agent-" + (i % 2), "after-" + i);
            // the same but for the lease ids' random suffixes (not part of the state)
            assertThat(withoutSuffix(restored.acquire(r))).as("decision %d", i).isEqualTo(withoutSuffix(original.engine.acquire(r)));
        }
        assertThat(restored.view()).isEqualTo(original.engine.view());
    }

    /** Run once to (re-)record the bytes of the current version: prints the resource's content and its SHA-256. */
    public static void main(String[] args) throws Exception {
        byte[] written = write(Scenario.run(EngineState.VERSION).engine);
        System.out.println(Base64.getMimeEncoder(76, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(written));
        System.out.println(sha256(written));
    }

    static EngineConfig config() {
        PoolSpec p = new PoolSpec("p", List.of(
                new KeySpec("k1", List.of(LimitSpec.requests(6, Duration.ofSeconds(10)), LimitSpec.tokens(2_000, Duration.ofMinutes(1))), 0),
                new KeySpec("k2", List.of(LimitSpec.requests(30, Duration.ofMinutes(1))), 3),
                new KeySpec("k3", List.of(LimitSpec.requestsPerCalendarDay(200, ZoneId.of("America/Los_Angeles"))), 0)),
                List.of(LimitSpec.requests(60, Duration.ofMinutes(1))), 0, Preset.CONSERVATIVE,
                new PoolPolicy(0, 3, 0.5, List.of("ops-*"))).withBlocks(BlockPolicy.of(5)); // not in the fingerprint
        PoolSpec q = new PoolSpec("q", List.of(
                new KeySpec("a", List.of(LimitSpec.tokens(5_000, Duration.ofSeconds(30))), 0),
                new KeySpec("b", List.of(LimitSpec.tokens(5_000, Duration.ofSeconds(30))), 0)),
                List.of(), 0, Preset.AGGRESSIVE);
        // the breaker's settings the recordings were made with (the default block was 5 min then)
        CooldownConfig cooldown = new CooldownConfig(CooldownConfig.ofDefaults().ladder(), 3, Duration.ofMinutes(5),
                Duration.ofSeconds(30));
        return EngineConfig.builder("main").budgetShares(Map.of("main", 0.6, "edge", 0.4)).pools(List.of(p, q))
                .leaseTtl(Duration.ofSeconds(20)).cooldown(cooldown).build();
    }

    private static final class Scenario {
        final ManualClock clock = new ManualClock(T0);
        final EngineCore engine = engine(clock);
        final List<LeaseRecord> open = new ArrayList<>();

        static EngineCore engine(ManualClock clock) {
            return new EngineCore(config(), clock, EngineListener.NONE, KeySelection.ORDERED, new Random(20260302L));
        }

        static Scenario run() {
            return run(3);
        }

        /**
         * @param version from 4 with version 4's parts after the steps: 429s that come back right after a
         *                cooldown (a learned cooldown), then provider reports (external use, an observed limit);
         *                from 5 with blocks: one settled having used part of it, one open
         */
        static Scenario run(int version) {
            Scenario s = new Scenario();
            s.steps();
            if (version >= 4) {
                s.relapses();
                s.reports();
            }
            if (version >= 5) {
                s.blocks();
            }
            return s;
        }

        private void blocks() {
            clock.advance(Duration.ofSeconds(12));
            LeaseRecord used = grantBlock("agent-7", 4);
            clock.advance(Duration.ofMillis(900));
            if (used != null) {
                engine.settle(new Settlement(used.leaseId(), 6, Outcome.OK, Duration.ZERO, clock.instant(), 2));
                open.remove(used);
            }
            grantBlock("agent-8", 5);
            clock.advance(Duration.ofMillis(150));
        }

        private LeaseRecord grantBlock(String agent, int calls) {
            Decision d = engine.acquire(new AcquireRequest("p", 3, Priority.NORMAL, agent, "b" + open.size() + "-" + clock.millis(),
                    "digest-" + clock.millis(), "principal-" + agent).withBlock(calls));
            if (!(d instanceof Decision.Admitted g)) {
                return null;
            }
            open.add(g.lease());
            return g.lease();
        }

        /** 429s without a Retry-After every half second in pool p: some key gets one right after its cooldown. */
        private void relapses() {
            for (int i = 0; i < 8; i++) {
                clock.advance(Duration.ofMillis(500));
                settle(grant("p", 3, Priority.NORMAL, "agent-" + (i % 3)), 3, Outcome.RATE_LIMITED, 0);
            }
            engine.tick();
        }

        private void reports() {
            // k1: requests 6/10s: the provider says 4 is its limit and 1 is left (external use); an unmatched token kind
            engine.observeProvider("p", "k1", List.of(
                    new ReportedLimit(ReportedLimit.Kind.REQUESTS, 4L, 1L, 8_000L),
                    new ReportedLimit(ReportedLimit.Kind.OUTPUT_TOKENS, null, 10L, 3_600_000L)));
            // the peer's booking on k2, folded
            engine.bookExternalUse(new ExternalUse("p", "k2", 0, Map.of("edge", 5L, "main", 2L), clock.millis(), clock.millis() + 30_000, "edge"));
            engine.observeLimit(new LimitObservation("q", "a", 0, 4_000, clock.millis(), "edge"));
            clock.advance(Duration.ofMillis(321));
        }

        /** The lease granted, or null if refused. */
        private LeaseRecord grant(String pool, long tokens, Priority priority, String agent) {
            Decision d = engine.acquire(new AcquireRequest(pool, tokens, priority, agent, "r" + open.size() + "-" + clock.millis(),
                    "digest-" + clock.millis(), "principal-" + agent));
            if (!(d instanceof Decision.Admitted g)) {
                return null; // refusals are part of the scenario too (counted per key)
            }
            open.add(g.lease());
            return g.lease();
        }

        private void settle(LeaseRecord l, long tokens, Outcome outcome, long retryMillis) {
            if (l == null) {
                return;
            }
            engine.settle(new Settlement(l.leaseId(), tokens, outcome, Duration.ofMillis(retryMillis), clock.instant()));
            open.remove(l);
        }

        private void steps() {
            Random rnd = new Random(42);
            // steady traffic on both pools, across local midnight of no zone and the LA calendar day
            for (int i = 0; i < 24; i++) {
                clock.advance(Duration.ofMillis(300 + rnd.nextInt(900)));
                LeaseRecord l = grant(i % 3 == 2 ? "q" : "p", 1 + rnd.nextInt(200), Priority.values()[i % 3], "agent-" + (i % 4));
                if (i % 4 != 3) {
                    clock.advance(Duration.ofMillis(rnd.nextInt(400)));
                    settle(l, rnd.nextInt(300), Outcome.OK, 0);
                }
                if (i % 5 == 0) {
                    engine.tick();
                }
            }
            // a 429 with a Retry-After (cooldown), errors in a row (circuit), an auth failure (disabled)
            LeaseRecord limited = grant("p", 5, Priority.NORMAL, "agent-1");
            settle(limited, 5, Outcome.RATE_LIMITED, 2_500);
            for (int i = 0; i < 3; i++) {
                clock.advance(Duration.ofMillis(3_000));
                LeaseRecord l = grant("q", 10, Priority.NORMAL, "agent-2");
                settle(l, 10, Outcome.ERROR, 0);
            }
            LeaseRecord auth = grant("q", 1, Priority.NORMAL, "agent-3");
            settle(auth, 0, Outcome.AUTH_FAILED, 0);
            clock.advance(Duration.ofSeconds(31));
            engine.tick();
            // the peer's grants, folded: one open, one settled; one without agent and request ids
            Instant now = clock.instant();
            LeaseRecord peerOpen = new LeaseRecord("edge-1a2b-0", "edge", "p", "k2", 3, Priority.HIGH, null, null, now, now.plusSeconds(20));
            LeaseRecord peerSettled = new LeaseRecord("edge-1a2b-1", "edge", "q", "a", 40, Priority.LOW, "peer-agent", "pr-1",
                    now, now.plusSeconds(20), "peer-digest", "peer-principal");
            engine.replayGrant(peerOpen);
            engine.replayGrant(peerSettled);
            engine.settle(new Settlement(peerSettled.leaseId(), 35, Outcome.OK, Duration.ZERO, now.plusMillis(100)));
            // budgets: one given away (applied), one given away (in flight), one of the peer's pending
            List<LimitRef> refs = engine.budgetProtocol().refs();
            Map<LimitRef, Long> want = new LinkedHashMap<>();
            want.put(refs.get(0), 3L);
            want.put(refs.get(refs.size() - 1), 500L);
            Map<LimitRef, Long> moved = engine.budgetProtocol().giveAway("main-t1", "edge", want);
            engine.budgetProtocol().applyTransferApplied("main-t1", "main", "edge", moved);
            engine.budgetProtocol().giveAway("main-t2", "edge", Map.of(refs.get(1), 2L));
            engine.budgetProtocol().applyTransferApplied("edge-t9", "edge", "main", Map.of(refs.get(2), 4L));
            engine.budgetProtocol().applyTransfer("edge-t8", "edge", "main", Map.of(refs.get(2), 1L));
            // a few more open leases, and time moving on
            for (int i = 0; i < 4; i++) {
                clock.advance(Duration.ofMillis(250));
                grant(i % 2 == 0 ? "p" : "q", 7 + i, Priority.NORMAL, "agent-" + i);
            }
            engine.tick();
            clock.advance(Duration.ofMillis(1_234));
        }
    }

    private static String withoutSuffix(Decision d) {
        return d.toString().replaceAll("_[0-9a-z]{" + LeaseIds.RANDOM_DIGITS + "},", ",");
    }

    static byte[] write(EngineCore engine) {
        return engine.snapshots().write();
    }

    private static byte[] recorded() throws IOException {
        return recorded(RECORDED);
    }

    private static byte[] recorded(String resource) throws IOException {
        try (InputStream in = SnapshotFormatTest.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return Base64.getMimeDecoder().decode(in.readAllBytes());
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
