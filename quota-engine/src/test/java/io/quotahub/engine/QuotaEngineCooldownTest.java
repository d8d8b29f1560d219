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

class QuotaEngineCooldownTest {

    private final ManualClock clock = new ManualClock(T0);
    private final List<String> events = new ArrayList<>();
    private final EngineListener listener = new EngineListener() {
        @Override
        public void onCircuitChanged(String pool, String keyId, CircuitState from, CircuitState to) {
            events.add(keyId + " " + from + "->" + to);
        }

        @Override
        public void onKeyDisabled(String pool, String keyId) {
            events.add(keyId + " disabled");
        }
    };
    private static final List<Duration> LADDER = CooldownConfig.ofDefaults().ladder();

    private QuotaEngine engine(CooldownConfig cooldown) {
        return new QuotaEngine(config(pool("p", Preset.PREMIUM, key("k", LimitSpec.requests(1000, Duration.ofMinutes(1)))))
                .cooldown(cooldown).build(), clock, listener);
    }

    private KeyView k(QuotaEngine e) {
        return e.view().pools().get(0).keys().get(0);
    }

    /** Takes a lease, reports a 429 for it, and returns the cooldown the engine then asks for. */
    private Duration rateLimited(QuotaEngine e, Duration retryAfter) {
        LeaseRecord l = granted(e.acquire(req("p", 0)));
        e.settle(outcome(l, Outcome.RATE_LIMITED, retryAfter, clock));
        Refusal r = denied(e.acquire(req("p", 0, Priority.HIGH)));
        assertThat(r.code()).isEqualTo(RefusalCode.COOLDOWN);
        clock.advance(r.retryAfter());
        return r.retryAfter();
    }

    @Test
    void withoutLearning_backoffGrowsAlongTheLadder_1s_3s_10s_30s_thenRepeats_andResetsAfterASuccess() {
        QuotaEngine e = engine(new CooldownConfig(LADDER, 100, Duration.ofMinutes(5), Duration.ofSeconds(30))
                .withLearning(CooldownLearning.OFF));
        List<Duration> seen = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            seen.add(rateLimited(e, Duration.ZERO));
        }
        assertThat(seen).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofSeconds(30));

        e.settle(ok(granted(e.acquire(req("p", 0))), 0, clock));
        assertThat(rateLimited(e, Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
        assertThat(k(e).rateLimited()).isEqualTo(6);
    }

    @Test
    void retryAfterFromTheProviderIsHonoured() {
        QuotaEngine e = engine(CooldownConfig.ofDefaults());
        LeaseRecord l = granted(e.acquire(req("p", 0)));
        e.settle(outcome(l, Outcome.RATE_LIMITED, Duration.ofSeconds(7), clock));
        assertThat(k(e).cooldownUntil()).isEqualTo(T0.plusSeconds(7));
        assertThat(k(e).thermal().zone()).isEqualTo(Zone.THROTTLED);
        clock.advance(Duration.ofMillis(6999));
        assertThat(denied(e.acquire(req("p", 0))).retryAfter()).isEqualTo(Duration.ofMillis(1));
        clock.advance(Duration.ofMillis(1));
        granted(e.acquire(req("p", 0)));
        assertThat(k(e).cooldownUntil()).isNull();
    }

    @Test
    void threeConsecutiveFailuresOpenTheCircuit_halfOpenAllowsOneProbe_successCloses() {
        QuotaEngine e = engine(new CooldownConfig(LADDER, 3, Duration.ofSeconds(10), Duration.ofSeconds(30)));
        for (int i = 0; i < 3; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.ERROR, Duration.ZERO, clock));
        }
        assertThat(k(e).circuit()).isEqualTo(CircuitState.OPEN);
        assertThat(k(e).health()).isEqualTo(Health.UNHEALTHY);
        assertThat(events).containsExactly("k CLOSED->OPEN");
        clock.advance(Duration.ofSeconds(20)); // block (10 s) over, circuit still open
        Refusal open = denied(e.acquire(req("p", 0, Priority.HIGH)));
        assertThat(open.code()).isEqualTo(RefusalCode.CIRCUIT_OPEN);
        assertThat(open.retryAfter()).isEqualTo(Duration.ofSeconds(10));

        clock.advance(Duration.ofSeconds(10));
        e.tick();
        assertThat(k(e).circuit()).isEqualTo(CircuitState.HALF_OPEN);
        LeaseRecord probe = granted(e.acquire(req("p", 0)));
        assertThat(denied(e.acquire(req("p", 0))).code()).isEqualTo(RefusalCode.CIRCUIT_OPEN);

        e.settle(ok(probe, 0, clock));
        assertThat(k(e).circuit()).isEqualTo(CircuitState.CLOSED);
        assertThat(events).containsExactly("k CLOSED->OPEN", "k OPEN->HALF_OPEN", "k HALF_OPEN->CLOSED");
        granted(e.acquire(req("p", 0)));
        granted(e.acquire(req("p", 0)));
    }

    @Test
    void aFailedProbeOpensTheCircuitAgain() {
        QuotaEngine e = engine(new CooldownConfig(LADDER, 3, Duration.ofSeconds(10), Duration.ofSeconds(30)));
        for (int i = 0; i < 3; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.ERROR, Duration.ZERO, clock));
        }
        clock.advance(Duration.ofSeconds(30));
        LeaseRecord probe = granted(e.acquire(req("p", 0)));
        e.settle(outcome(probe, Outcome.ERROR, Duration.ZERO, clock));
        assertThat(k(e).circuit()).isEqualTo(CircuitState.OPEN);
        assertThat(denied(e.acquire(req("p", 0))).retryAfter()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void withDefaults_threeFailuresOpenTheCircuitFor30s_thenOneProbeIsLetThrough() {
        QuotaEngine e = engine(CooldownConfig.ofDefaults());
        for (int i = 0; i < 3; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.ERROR, Duration.ZERO, clock));
        }
        assertThat(k(e).circuit()).isEqualTo(CircuitState.OPEN);
        assertThat(k(e).cooldownUntil()).isEqualTo(T0.plus(Duration.ofSeconds(30)));
        clock.advance(Duration.ofMillis(29_999));
        Refusal r = denied(e.acquire(req("p", 0, Priority.HIGH)));
        assertThat(r.retryAfter()).isEqualTo(Duration.ofMillis(1));

        clock.advance(Duration.ofMillis(1));
        e.tick();
        assertThat(k(e).circuit()).isEqualTo(CircuitState.HALF_OPEN);
        LeaseRecord probe = granted(e.acquire(req("p", 0)));
        assertThat(denied(e.acquire(req("p", 0))).code()).isEqualTo(RefusalCode.CIRCUIT_OPEN);
        e.settle(ok(probe, 0, clock));
        assertThat(k(e).circuit()).isEqualTo(CircuitState.CLOSED);
        granted(e.acquire(req("p", 0)));
        assertThat(events).containsExactly("k CLOSED->OPEN", "k OPEN->HALF_OPEN", "k HALF_OPEN->CLOSED");
    }

    @Test
    void aLongerBlockRestsTheKey_theProbeComesWhenBothTheOpenPeriodAndTheBlockAreOver() {
        QuotaEngine e = engine(new CooldownConfig(LADDER, 3, Duration.ofMinutes(5), Duration.ofSeconds(30)));
        for (int i = 0; i < 3; i++) {
            e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.ERROR, Duration.ZERO, clock));
        }
        assertThat(k(e).cooldownUntil()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
        clock.advance(Duration.ofSeconds(30));
        e.tick();
        assertThat(k(e).circuit()).isEqualTo(CircuitState.HALF_OPEN);
        Refusal r = denied(e.acquire(req("p", 0)));
        assertThat(r.code()).isEqualTo(RefusalCode.COOLDOWN);
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(270));
        clock.advance(r.retryAfter());
        granted(e.acquire(req("p", 0)));
        assertThat(denied(e.acquire(req("p", 0))).code()).isEqualTo(RefusalCode.CIRCUIT_OPEN);
    }

    @Test
    void aSuccessResetsTheConsecutiveFailureCount() {
        QuotaEngine e = engine(CooldownConfig.ofDefaults());
        for (Outcome o : List.of(Outcome.ERROR, Outcome.ERROR, Outcome.OK, Outcome.ERROR, Outcome.ERROR)) {
            e.settle(outcome(granted(e.acquire(req("p", 0))), o, Duration.ZERO, clock));
        }
        assertThat(k(e).circuit()).isEqualTo(CircuitState.CLOSED);
        assertThat(k(e).errors()).isEqualTo(4);
        granted(e.acquire(req("p", 0)));
    }

    @Test
    void authFailureDisablesTheKeyUntilEnableKey() {
        QuotaEngine e = engine(CooldownConfig.ofDefaults());
        e.settle(outcome(granted(e.acquire(req("p", 0))), Outcome.AUTH_FAILED, Duration.ZERO, clock));
        assertThat(events).containsExactly("k disabled");
        assertThat(k(e).disabled()).isTrue();
        assertThat(k(e).health()).isEqualTo(Health.DEAD);
        assertThat(k(e).thermal().healthScore()).isZero();
        clock.advance(Duration.ofHours(1));
        Refusal r = denied(e.acquire(req("p", 0, Priority.HIGH)));
        assertThat(r.code()).isEqualTo(RefusalCode.KEY_DISABLED);
        assertThat(r.retryAfter()).isPositive();

        assertThat(e.enableKey("p", "nope")).isFalse();
        assertThat(e.enableKey("nope", "k")).isFalse();
        assertThat(e.enableKey("p", "k")).isTrue();
        assertThat(k(e).disabled()).isFalse();
        granted(e.acquire(req("p", 0)));
    }

    @Test
    void settlementsReplayedLaterRebuildTheSameCooldownFromTheirOwnTimes() {
        QuotaEngine e = engine(CooldownConfig.ofDefaults());
        LeaseRecord l = granted(e.acquire(req("p", 0)));
        clock.advance(Duration.ofSeconds(5));
        // the 429 happened at T0 + 1 s; the cooldown runs from then, not from now
        e.settle(new Settlement(l.leaseId(), 0, Outcome.RATE_LIMITED, Duration.ofSeconds(10), T0.plusSeconds(1)));
        assertThat(k(e).cooldownUntil()).isEqualTo(T0.plusSeconds(11));
    }
}
