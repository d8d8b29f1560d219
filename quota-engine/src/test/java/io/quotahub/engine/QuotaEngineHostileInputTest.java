package io.quotahub.engine;

import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static org.assertj.core.api.Assertions.assertThat;

/** Each attack on the engine's arithmetic and cooldowns, tried again: it is bounded and changes nothing else. */
class QuotaEngineHostileInputTest {

    private static final long TPM = 1_000;
    private static final Duration TEN_YEARS = Duration.ofMillis(315_360_000_000L);
    private final ManualClock clock = new ManualClock(T0);

    private static PoolSpec pool() {
        return new PoolSpec("p", List.of(new KeySpec("k", List.of(LimitSpec.tokens(TPM, Duration.ofMinutes(1)),
                LimitSpec.requests(1_000, Duration.ofMinutes(1))), 0)), List.of(), 0, Preset.PREMIUM);
    }

    private QuotaEngine engine() {
        return engine(Map.of("main", 1.0));
    }

    private QuotaEngine engine(Map<String, Double> shares) {
        return new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool())).budgetShares(shares).build(), clock,
                EngineListener.NONE);
    }

    private static AcquireRequest req(long tokens) {
        return new AcquireRequest("p", tokens, Priority.NORMAL, "agent", "r" + tokens);
    }

    private Settlement settle(LeaseRecord l, long tokensUsed, Outcome outcome, Duration retryAfter) {
        return new Settlement(l.leaseId(), tokensUsed, outcome, retryAfter, clock.instant());
    }

    private KeyView key(QuotaEngine e) {
        return e.view().pools().get(0).keys().get(0);
    }

    private LimitView tokens(QuotaEngine e) {
        return key(e).limits().get(0);
    }

    /** Grants of 100 tokens every 100 ms for two minutes, each settled as estimated: the tokens granted in any minute. */
    private long mostTokensGrantedInAnyMinute(QuotaEngine e) {
        java.util.ArrayDeque<long[]> granted = new java.util.ArrayDeque<>();
        long most = 0;
        long inWindow = 0;
        for (int i = 0; i < 1_200; i++) {
            if (e.acquire(req(100)) instanceof Decision.Admitted g) {
                e.settle(settle(g.lease(), 100, Outcome.OK, Duration.ZERO));
                granted.add(new long[] {clock.millis(), 100});
                inWindow += 100;
            }
            while (!granted.isEmpty() && granted.peek()[0] <= clock.millis() - 60_000) {
                inWindow -= granted.poll()[1];
            }
            most = Math.max(most, inWindow);
            clock.advance(Duration.ofMillis(100));
        }
        return most;
    }

    @Test
    void settle_withLongMaxTokensDoesNotWrapTheWindow() {
        QuotaEngine e = engine();
        LeaseRecord l = granted(e.acquire(req(10)));
        LeaseRecord other = granted(e.acquire(req(10)));

        assertThat(e.settle(settle(l, Long.MAX_VALUE, Outcome.OK, Duration.ZERO))).isEqualTo(SettleResult.SETTLED);

        // counted at the pool's bound (4 x its largest token limit), not wrapped
        assertThat(tokens(e).used()).isEqualTo(4 * TPM + 10);
        assertThat(denied(e.acquire(req(1))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        // a second one does not wrap the sum into the negative either
        clock.advance(Duration.ofSeconds(1));
        e.settle(settle(other, Long.MAX_VALUE, Outcome.OK, Duration.ZERO));
        assertThat(tokens(e).used()).isEqualTo(8 * TPM);
        assertThat(denied(e.acquire(req(1))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);

        // once they left the window the key admits again, and never more than its TPM in any minute
        clock.advance(Duration.ofMinutes(1));
        assertThat(mostTokensGrantedInAnyMinute(e)).isEqualTo(TPM);
    }

    @Test
    void settle_withNegativeTokensChargesNothing_andNoSumGoesNegative() {
        QuotaEngine e = engine();
        LeaseRecord l = granted(e.acquire(req(500)));
        e.settle(settle(l, Long.MIN_VALUE, Outcome.OK, Duration.ZERO));
        assertThat(tokens(e).used()).isZero();
        assertThat(mostTokensGrantedInAnyMinute(e)).isEqualTo(TPM);
    }

    @Test
    void acquire_aboveWhatOneCallMayUse_isRefusedAsInvalid() {
        PoolSpec bounded = new PoolSpec("p", List.of(new KeySpec("k", List.of(LimitSpec.tokens(TPM, Duration.ofMinutes(1))), 0)),
                List.of(), 0, Preset.PREMIUM, new PoolPolicy(500, 0, 0, List.of()));
        QuotaEngine e = new QuotaEngine(EngineConfig.builder("main").pools(List.of(bounded)).build(), clock, EngineListener.NONE);
        Refusal r = denied(e.acquire(req(501)));
        assertThat(r.code()).isEqualTo(RefusalCode.INVALID_REQUEST);
        assertThat(r.message()).contains("at most 500");
        granted(e.acquire(req(500)));
        assertThat(denied(e.acquire(req(Long.MAX_VALUE))).code()).isEqualTo(RefusalCode.INVALID_REQUEST);
    }

    @Test
    void rateLimited_withTenYearRetryAfterCoolsDownAtMostMaxCooldown() {
        QuotaEngine e = engine();
        LeaseRecord l = granted(e.acquire(req(1)));

        e.settle(settle(l, 1, Outcome.RATE_LIMITED, TEN_YEARS));

        assertThat(key(e).cooldownUntil()).isEqualTo(T0.plus(CooldownConfig.DEFAULT_MAX_COOLDOWN));
        Refusal r = denied(e.acquire(req(1)));
        assertThat(r.code()).isEqualTo(RefusalCode.COOLDOWN);
        assertThat(r.retryAfter()).isEqualTo(Duration.ofHours(1));
        clock.advance(Duration.ofHours(1));
        granted(e.acquire(req(1)));
    }

    @Test
    void rateLimited_withARetryAfterBeyondMilliseconds_isClampedToo() {
        QuotaEngine e = engine();
        LeaseRecord l = granted(e.acquire(req(1)));
        e.settle(settle(l, 1, Outcome.RATE_LIMITED, Duration.ofSeconds(Long.MAX_VALUE)));
        assertThat(key(e).cooldownUntil()).isEqualTo(T0.plus(Duration.ofHours(1)));
    }

    @Test
    void rateLimited_respectsAConfiguredMaxCooldown_forTheLadderToo() {
        CooldownConfig cooldown = new CooldownConfig(List.of(Duration.ofMinutes(10)), 100, Duration.ofMinutes(5),
                Duration.ofSeconds(30), Duration.ofMinutes(2));
        QuotaEngine e = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool())).cooldown(cooldown).build(), clock,
                EngineListener.NONE);
        e.settle(settle(granted(e.acquire(req(1))), 1, Outcome.RATE_LIMITED, Duration.ZERO));
        assertThat(key(e).cooldownUntil()).isEqualTo(T0.plus(Duration.ofMinutes(2)));
    }

    @Test
    void replayedSettle_withTenYearRetryAfter_coolsDownAtMostOneHourFromItsTime() {
        QuotaEngine e = engine();
        Instant grantedAt = T0.minusSeconds(120);
        LeaseRecord l = new LeaseRecord("edge-1-0_x", "edge", "p", "k", 1, Priority.NORMAL, "agent", "r", grantedAt, grantedAt.plusSeconds(60));
        e.replayGrant(l);

        e.settle(new Settlement(l.leaseId(), 1, Outcome.RATE_LIMITED, TEN_YEARS, grantedAt.plusSeconds(1)));

        assertThat(key(e).cooldownUntil()).isEqualTo(grantedAt.plusSeconds(1).plus(Duration.ofHours(1)));
    }

    @Test
    void settle_datedFarInTheFuture_doesNotPinTheWindowOrTheCooldown() {
        QuotaEngine e = engine();
        LeaseRecord l = granted(e.acquire(req(1_000)));
        e.settle(new Settlement(l.leaseId(), 1_000, Outcome.RATE_LIMITED, Duration.ofSeconds(1), Instant.MAX));

        // charged one lease TTL (60 s) from now at the latest: gone a minute (and the margin) later
        assertThat(key(e).cooldownUntil()).isEqualTo(T0.plusSeconds(61));
        assertThat(tokens(e).used()).isEqualTo(1_000);
        clock.advance(Duration.ofSeconds(120).plusMillis(250));
        assertThat(tokens(e).used()).isZero();
        granted(e.acquire(req(1_000)));
    }

    @Test
    void replayedGrant_withHugeTokens_isCountedAtTheCapacityBound() {
        QuotaEngine e = engine();
        // this hub's own ledger, replayed after a restart: counted against its own budget
        LeaseRecord huge = new LeaseRecord("main-1-0_x", "main", "p", "k", Long.MAX_VALUE, Priority.NORMAL, "agent", "r", T0, T0.plusSeconds(60));
        LeaseRecord negative = new LeaseRecord("main-1-1_x", "main", "p", "k", Long.MIN_VALUE, Priority.NORMAL, "agent", "r", T0, T0.plusSeconds(60));

        e.replayGrant(huge);
        e.replayGrant(negative);

        assertThat(e.openLease(huge.leaseId()).orElseThrow().tokens()).isEqualTo(LimitSpec.MAX_CAPACITY);
        assertThat(e.openLease(negative.leaseId()).orElseThrow().tokens()).isZero();
        assertThat(tokens(e).used()).isEqualTo(LimitSpec.MAX_CAPACITY);
        assertThat(denied(e.acquire(req(1))).code()).isEqualTo(RefusalCode.QUOTA_EXHAUSTED);
        clock.advance(Duration.ofSeconds(60));
        assertThat(e.expireDue()).hasSize(2);
        clock.advance(Duration.ofSeconds(61));
        assertThat(tokens(e).used()).isZero();
        granted(e.acquire(req(TPM)));
    }

    @Test
    void transferAndTakeover_withHugeUnits_moveAtMostTheLargestCapacity_andAdmissionNeverSeesMoreThanTheLimit() {
        QuotaEngine e = engine(Map.of("main", 0.5, "edge", 0.5));
        LimitRef ref = LimitRef.ofKey("p", "k", 0);

        e.applyTransfer("t1", "edge", "main", Map.of(ref, Long.MAX_VALUE));
        e.applyTransferApplied("t1", "edge", "main", Map.of(ref, Long.MAX_VALUE));
        e.applyTakeover("edge", "main", Map.of(ref, Long.MAX_VALUE));

        BudgetView b = e.budgetTable().stream().filter(v -> v.ref().equals(ref)).findFirst().orElseThrow();
        // each event moves at most the largest capacity any limit may have (the same bound before and
        // after a reload, so both hubs clamp alike)
        assertThat(b.budgetByHub()).containsEntry("main", 500 + 2 * LimitSpec.MAX_CAPACITY)
                .containsEntry("edge", 500 - 2 * LimitSpec.MAX_CAPACITY);
        assertThat(b.committed()).isEqualTo(TPM); // moves only: I1 holds
        assertThat(tokens(e).budget()).isEqualTo(TPM); // admission reads at most the capacity
        assertThat(mostTokensGrantedInAnyMinute(e)).isEqualTo(TPM);
    }

    @Test
    void giveAway_ofHugeUnits_givesOnlyTheHeadroom() {
        QuotaEngine e = engine(Map.of("main", 0.5, "edge", 0.5));
        LimitRef ref = LimitRef.ofKey("p", "k", 0);
        granted(e.acquire(req(200)));
        assertThat(e.giveAway("g1", "edge", Map.of(ref, Long.MAX_VALUE))).containsEntry(ref, 300L);
        assertThat(e.giveAway("g2", "edge", Map.of(ref, Long.MIN_VALUE))).isEmpty();
    }

    // ---- reset -----------------------------------------------------------------------------------

    @Test
    void resetKey_clearsCooldownCircuitBlockAndDisabled() {
        QuotaEngine e = engine();
        List<LeaseRecord> held = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            held.add(granted(e.acquire(new AcquireRequest("p", 1, Priority.NORMAL, "a", "r" + i))));
        }
        for (int i = 0; i < 3; i++) { // three 429s: cooled down (1 h of the 10 years asked), circuit OPEN, blocked 5 min
            e.settle(settle(held.get(i), 1, Outcome.RATE_LIMITED, TEN_YEARS));
        }
        e.settle(settle(held.get(3), 1, Outcome.AUTH_FAILED, Duration.ZERO));
        KeyView before = key(e);
        assertThat(before.disabled()).isTrue();
        assertThat(before.circuit()).isEqualTo(CircuitState.OPEN);
        assertThat(before.cooldownUntil()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(denied(e.acquire(req(1))).code()).isEqualTo(RefusalCode.KEY_DISABLED);

        assertThat(e.resetKey("p", "k")).isTrue();

        KeyView after = key(e);
        assertThat(after.disabled()).isFalse();
        assertThat(after.circuit()).isEqualTo(CircuitState.CLOSED);
        assertThat(after.cooldownUntil()).isNull();
        granted(e.acquire(req(1)));
        assertThat(e.resetKey("p", "nope")).isFalse();
        assertThat(e.resetKey("nope", "k")).isFalse();
    }

    @Test
    void replayOf_rateLimitedWithAHugeRetryAfter_thenReset_endsWithAUsableKey() {
        Instant grantedAt = T0.minusSeconds(600);
        LeaseRecord l = new LeaseRecord("main-1-0_x", "main", "p", "k", 1, Priority.NORMAL, "agent", "r", grantedAt, grantedAt.plusSeconds(60));
        Settlement tenYears = new Settlement(l.leaseId(), 1, Outcome.RATE_LIMITED, Duration.ofSeconds(Long.MAX_VALUE),
                grantedAt.plusSeconds(1));

        QuotaEngine withoutReset = engine();
        withoutReset.replayGrant(l);
        withoutReset.settle(tenYears);
        // 10 years asked, 1 h from the report (9 min 59 s ago) applied
        assertThat(denied(withoutReset.acquire(req(1))).retryAfter()).isEqualTo(Duration.ofMinutes(50).plusSeconds(1));

        QuotaEngine replayed = engine();
        replayed.replayGrant(l);
        replayed.settle(tenYears);
        replayed.resetKey("p", "k");
        assertThat(key(replayed).cooldownUntil()).isNull();
        granted(replayed.acquire(req(1)));
    }
}
