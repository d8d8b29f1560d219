package io.quotahub.engine;

import io.quotahub.engine.view.KeyView;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.denied;
import static io.quotahub.engine.Fixtures.granted;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.outcome;
import static io.quotahub.engine.Fixtures.pool;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The learning ladder (CooldownLearning, defaults: ×2 on a relapse, halved after 5 OKs in a row),
 * on a manual clock: sequences of 429s and OKs and the exact cooldowns they cause.
 */
class QuotaEngineLearnedCooldownTest {

    private static final List<Duration> LADDER = CooldownConfig.ofDefaults().ladder(); // 1 s, 3 s, 10 s, 30 s

    private final ManualClock clock = new ManualClock(T0);
    private final List<Duration> applied = new ArrayList<>();
    private final EngineListener listener = new EngineListener() {
        @Override
        public void onCooldownApplied(LeaseRecord lease, Duration cooldown) {
            applied.add(cooldown);
        }
    };

    private QuotaEngine engine(Duration maxCooldown) {
        return new QuotaEngine(config(pool("p", Preset.PREMIUM, key("k", LimitSpec.requests(1000, Duration.ofMinutes(1)))))
                .cooldown(new CooldownConfig(LADDER, 100, Duration.ofMinutes(5), Duration.ofSeconds(30), maxCooldown))
                .build(), clock, listener);
    }

    private static KeyView k(QuotaEngine e) {
        return e.view().pools().get(0).keys().get(0);
    }

    /** A 429 now (no Retry-After unless given); @return how long the key is refused, then waits that out. */
    private Duration rateLimited(QuotaEngine e, Duration retryAfter) {
        e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.RATE_LIMITED, retryAfter, clock));
        Refusal r = denied(e.acquire(req("p", 0, Priority.HIGH)));
        assertThat(r.code()).isEqualTo(RefusalCode.COOLDOWN);
        clock.advance(r.retryAfter());
        return r.retryAfter();
    }

    private void oks(QuotaEngine e, int n) {
        for (int i = 0; i < n; i++) {
            e.settle(ok(granted(e.acquire(req("p", 0))), 0, clock));
        }
    }

    /** 429, cooldown served, one OK, a 429 right at the end of the cooldown: each a relapse. */
    private List<Duration> relapsesWithAnOkBetween(QuotaEngine e, int n) {
        List<Duration> seen = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            seen.add(rateLimited(e, Duration.ZERO));
            oks(e, 1);
        }
        return seen;
    }

    @Test
    void consecutive429sRightAfterEachCooldown_doubleTheLastOneAboveTheLadder_cappedByMaxCooldown() {
        QuotaEngine e = engine(Duration.ofMinutes(1));
        List<Duration> seen = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            seen.add(rateLimited(e, Duration.ZERO));
        }
        // ladder 1, 3, 10, 30 beats 2, 6, 20; then 2 × 30 = 60 (the cap) and it stays there
        assertThat(seen).containsExactly(secs(1), secs(3), secs(10), secs(30), secs(60), secs(60), secs(60));
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(60));
        assertThat(applied).isEqualTo(seen);
    }

    @Test
    void aSuccessNoLongerRestartsAtOneSecond_whenThe429ComesBackRightAfterTheCooldown() {
        QuotaEngine e = engine(Duration.ofHours(1));
        assertThat(relapsesWithAnOkBetween(e, 5)).containsExactly(secs(1), secs(2), secs(4), secs(8), secs(16));
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(16));
        assertThat(k(e).nextCooldown()).isEqualTo(secs(16));
    }

    @Test
    void withoutLearning_theSameSequenceStaysOnTheLadder() {
        QuotaEngine e = new QuotaEngine(config(pool("p", Preset.PREMIUM, key("k", LimitSpec.requests(1000, Duration.ofMinutes(1)))))
                .cooldown(new CooldownConfig(LADDER, 100, Duration.ofMinutes(5), Duration.ofSeconds(30))
                        .withLearning(CooldownLearning.OFF)).build(), clock, listener);
        assertThat(relapsesWithAnOkBetween(e, 4)).containsExactly(secs(1), secs(1), secs(1), secs(1));
        assertThat(k(e).learnedCooldown()).isZero();
    }

    @Test
    void a429OneCooldownLengthOrMoreAfterTheEnd_isNoRelapse() {
        QuotaEngine e = engine(Duration.ofHours(1));
        assertThat(rateLimited(e, Duration.ZERO)).isEqualTo(secs(1));
        oks(e, 1);
        clock.advance(Duration.ofMillis(999));
        assertThat(rateLimited(e, Duration.ZERO)).as("999 ms after the end: a relapse").isEqualTo(secs(2));
        oks(e, 1);
        clock.advance(secs(2)); // exactly one cooldown length (2 s) after the end
        assertThat(rateLimited(e, Duration.ZERO)).as("learned 2 s, not doubled again").isEqualTo(secs(2));
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(2));
    }

    @Test
    void everyFiveOksInARowHalveWhatWasLearned_downToThePlainLadder() {
        QuotaEngine e = engine(Duration.ofHours(1));
        relapsesWithAnOkBetween(e, 4); // learned 8 s, and one OK already counted
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(8));
        oks(e, 3);
        assertThat(k(e).learnedCooldown()).as("4 OKs in a row").isEqualTo(secs(8));
        oks(e, 1);
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(4));
        oks(e, 5);
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(2));
        oks(e, 4);
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(2));
        oks(e, 1);
        // half of 2 s is not above the first step (1 s): forgotten, the plain ladder again
        assertThat(k(e).learnedCooldown()).isZero();
        assertThat(k(e).nextCooldown()).isEqualTo(secs(1));
        clock.advance(Duration.ofMinutes(1));
        assertThat(rateLimited(e, Duration.ZERO)).isEqualTo(secs(1));
    }

    @Test
    void a429RestartsTheCountOfSuccesses() {
        QuotaEngine e = engine(Duration.ofHours(1));
        relapsesWithAnOkBetween(e, 4); // learned 8 s, 1 OK counted
        oks(e, 3);
        clock.advance(Duration.ofMinutes(1)); // long after the cooldown: no relapse
        assertThat(rateLimited(e, Duration.ZERO)).as("what was learned still applies").isEqualTo(secs(8));
        clock.advance(Duration.ofMinutes(1));
        oks(e, 4);
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(8));
        oks(e, 1);
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(4));
    }

    @Test
    void theProvidersRetryAfterStillWins_clampedByMaxCooldown_andARelapseAfterItDoublesIt() {
        QuotaEngine e = engine(Duration.ofMinutes(10));
        relapsesWithAnOkBetween(e, 4); // learned 8 s
        assertThat(rateLimited(e, secs(5))).as("below what was learned: the provider knows").isEqualTo(secs(5));
        assertThat(rateLimited(e, Duration.ZERO)).as("right after the provider's 5 s").isEqualTo(secs(10));
        oks(e, 1);
        assertThat(rateLimited(e, Duration.ofHours(2))).isEqualTo(Duration.ofMinutes(10));
        assertThat(rateLimited(e, Duration.ZERO)).as("2 x 10 min, capped").isEqualTo(Duration.ofMinutes(10));
        assertThat(k(e).learnedCooldown()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void resetKeyForgetsWhatWasLearned() {
        QuotaEngine e = engine(Duration.ofHours(1));
        relapsesWithAnOkBetween(e, 4);
        assertThat(k(e).learnedCooldown()).isEqualTo(secs(8));
        assertThat(e.resetKey("p", "k")).isTrue();
        assertThat(k(e).learnedCooldown()).isZero();
        assertThat(k(e).nextCooldown()).isEqualTo(secs(1));
        // and the cooldown that ended just now counts no more: no relapse
        assertThat(rateLimited(e, Duration.ZERO)).isEqualTo(secs(1));
    }

    @Test
    void errorsAndExpiriesTeachNothing() {
        QuotaEngine e = engine(Duration.ofHours(1));
        assertThat(rateLimited(e, Duration.ZERO)).isEqualTo(secs(1));
        e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.ERROR, Duration.ZERO, clock));
        assertThat(k(e).learnedCooldown()).isZero();
        assertThat(applied).containsExactly(secs(1));
    }

    @Test
    void aReplayOfTheSameSettlesLater_learnsTheSameCooldown_andSoDoesASnapshotInBetween() throws Exception {
        QuotaEngine live = engine(Duration.ofHours(1));
        List<LeaseRecord> grants = new ArrayList<>();
        List<Settlement> settles = new ArrayList<>();
        Outcome[] script = {Outcome.RATE_LIMITED, Outcome.OK, Outcome.RATE_LIMITED, Outcome.OK, Outcome.RATE_LIMITED,
                Outcome.OK, Outcome.OK, Outcome.RATE_LIMITED, Outcome.OK, Outcome.OK, Outcome.OK};
        for (Outcome o : script) {
            LeaseRecord l = granted(live.acquire(req("p", 0, Priority.HIGH)));
            Settlement s = outcome(l, o, Duration.ZERO, clock);
            live.settle(s);
            grants.add(l);
            settles.add(s);
            Decision next = live.acquire(req("p", 0, Priority.HIGH));
            clock.advance(next instanceof Decision.Denied d ? d.refusal().retryAfter() : Duration.ofMillis(300));
            if (next instanceof Decision.Admitted a) {
                live.cancel(a.lease().leaseId());
            }
        }
        KeyView expected = k(live);
        assertThat(expected.learnedCooldown()).isEqualTo(secs(8));

        // an hour later, another engine folds the same grants and settles (their own times count)
        clock.advance(Duration.ofHours(1));
        QuotaEngine replay = engine(Duration.ofHours(1));
        QuotaEngine half = engine(Duration.ofHours(1));
        for (int i = 0; i < script.length; i++) {
            replay.replayGrant(grants.get(i));
            replay.settle(settles.get(i));
            if (i == script.length / 2) {
                QuotaEngine restored = engine(Duration.ofHours(1));
                restored.readState(replay.writeState());
                half = restored;
            } else if (i > script.length / 2) {
                half.replayGrant(grants.get(i));
                half.settle(settles.get(i));
            }
        }
        assertThat(k(replay).learnedCooldown()).isEqualTo(expected.learnedCooldown());
        assertThat(k(replay).nextCooldown()).isEqualTo(expected.nextCooldown());
        assertThat(k(half).learnedCooldown()).isEqualTo(expected.learnedCooldown());
        assertThat(k(half).nextCooldown()).isEqualTo(expected.nextCooldown());
    }

    private static Duration secs(long s) {
        return Duration.ofSeconds(s);
    }
}
