package io.quotahub.chaos.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.quotahub.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProviderLimiterTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));

    private ProviderLimiter limiter(Limit... limits) {
        return new ProviderLimiter(List.of(new ProviderKey("k1", "sk-secret-1", List.of(limits))), clock);
    }

    @Test
    void call_admitsUpToTheLimitAndRefusesThe61stRequestInAMinute() {
        ProviderLimiter l = limiter(Limit.requests(60, Duration.ofMinutes(1)));
        for (int i = 0; i < 60; i++) {
            assertThat(l.call("sk-secret-1", 10).status()).isEqualTo(200);
            clock.advance(Duration.ofMillis(100));
        }
        ProviderLimiter.Result r = l.call("sk-secret-1", 10);
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.keyId()).isEqualTo("k1");
        // the first call was at t=0 and we are at t=6 s: room again at t=60 s
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(54));
    }

    @Test
    void call_windowSlides_roomComesBackExactlyWhenTheOldestCallLeavesTheWindow() {
        ProviderLimiter l = limiter(Limit.requests(2, Duration.ofSeconds(10)));
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(4));
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
        clock.advance(Duration.ofMillis(5999));
        assertThat(l.call("sk-secret-1", 1).status()).as("9.999 s after the first call").isEqualTo(429);
        clock.advance(Duration.ofMillis(1));
        assertThat(l.call("sk-secret-1", 1).status()).as("10 s after the first call").isEqualTo(200);
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(429);
    }

    @Test
    void changeLimit_lowered_countsTheCallsAlreadyInTheWindow_raised_admitsUpToTheNewAmount() {
        ProviderLimiter l = limiter(Limit.requests(4, Duration.ofSeconds(10)));
        for (int i = 0; i < 3; i++) {
            assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
        }
        l.changeLimit("k1", 0, 2);
        assertThat(l.call("sk-secret-1", 1).status()).as("3 in the window, the limit now 2").isEqualTo(429);
        l.changeLimit("k1", 0, 5);
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(429);
        assertThat(l.stats().keys().get("k1").maxWindowFill().get(0).capacity()).isEqualTo(5);
    }

    @Test
    void changeLimit_ofAnUnknownKeyOrLimit_isRefused() {
        ProviderLimiter l = limiter(Limit.requests(4, Duration.ofSeconds(10)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> l.changeLimit("k9", 0, 2)).hasMessageContaining("k9");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> l.changeLimit("k1", 1, 2)).hasMessageContaining("no limit 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> l.changeLimit("k1", 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void call_refusedCallsAreNotCountedInTheWindow() {
        ProviderLimiter l = limiter(Limit.requests(1, Duration.ofSeconds(1)));
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMillis(100));
            assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(429);
        }
        clock.advance(Duration.ofMillis(500));
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
    }

    @Test
    void call_tokenLimitCountsTokensAndReportsWhenTheyFit() {
        ProviderLimiter l = limiter(Limit.tokens(1000, Duration.ofMinutes(1)));
        assertThat(l.call("sk-secret-1", 600).status()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(10));
        assertThat(l.call("sk-secret-1", 300).status()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(10));
        ProviderLimiter.Result r = l.call("sk-secret-1", 200);
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(40));
        assertThat(l.call("sk-secret-1", 100).status()).isEqualTo(200);
    }

    @Test
    void call_unknownSecretIsUnauthorizedAndCountsAgainstNoKey() {
        ProviderLimiter l = limiter(Limit.requests(1, Duration.ofMinutes(1)));
        assertThat(l.call("sk-wrong", 1).status()).isEqualTo(401);
        assertThat(l.call(null, 1).status()).isEqualTo(401);
        assertThat(l.call("sk-secret-1", 1).status()).isEqualTo(200);
        ProviderLimiter.Stats s = l.stats();
        assertThat(s.requests()).isEqualTo(3);
        assertThat(s.unauthorized()).isEqualTo(2);
        assertThat(s.keys().get("k1").requests()).isEqualTo(1);
    }

    @Test
    void stats_countCallsRefusalsAndTheHighestWindowFill() {
        ProviderLimiter l = limiter(Limit.requests(3, Duration.ofSeconds(10)), Limit.tokens(1000, Duration.ofSeconds(10)));
        l.call("sk-secret-1", 100);
        l.call("sk-secret-1", 200);
        l.call("sk-secret-1", 300);
        l.call("sk-secret-1", 1);
        ProviderLimiter.Stats s = l.stats();
        assertThat(s.requests()).isEqualTo(4);
        assertThat(s.ok()).isEqualTo(3);
        assertThat(s.rateLimited()).isEqualTo(1);
        ProviderLimiter.KeyStats k = s.keys().get("k1");
        assertThat(k.tokensUsed()).isEqualTo(600);
        assertThat(k.maxWindowFill()).extracting(ProviderLimiter.WindowFill::limit, ProviderLimiter.WindowFill::max,
                        ProviderLimiter.WindowFill::capacity)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("requests 3/PT10S", 3L, 3L),
                        org.assertj.core.groups.Tuple.tuple("tokens 1000/PT10S", 600L, 1000L));
        assertThat(l.calls()).extracting(ProviderLimiter.Call::status).containsExactly(200, 200, 200, 429);

        l.reset();
        assertThat(l.stats().requests()).isZero();
        assertThat(l.stats().keys().get("k1").maxWindowFill().get(0).max()).isZero();
        assertThat(l.calls()).isEmpty();
        assertThat(l.call("sk-secret-1", 1).status()).as("reset keeps the windows").isEqualTo(429);
    }

    @Test
    void call_neverLetsAnyIntervalHoldMoreThanTheLimit_randomStreamsAgainstBruteForce() {
        Random random = new Random(42);
        for (int run = 0; run < 50; run++) {
            long cap = 1 + random.nextInt(20);
            Duration per = Duration.ofMillis(100 + random.nextInt(2000));
            ManualClock c = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
            ProviderLimiter l = new ProviderLimiter(
                    List.of(new ProviderKey("k", "s", List.of(Limit.tokens(cap * 10, per), Limit.requests(cap, per)))), c);
            List<long[]> admitted = new ArrayList<>(); // {millis, tokens}
            long now = 0;
            for (int i = 0; i < 400; i++) {
                long step = random.nextInt(4) == 0 ? 0 : random.nextInt((int) per.toMillis() / 5 + 1);
                c.advance(Duration.ofMillis(step));
                now += step;
                long tokens = 1 + random.nextInt(15);
                ProviderLimiter.Result r = l.call("s", tokens);
                long t = now;
                long reqs = admitted.stream().filter(a -> a[0] > t - per.toMillis()).count();
                long toks = admitted.stream().filter(a -> a[0] > t - per.toMillis()).mapToLong(a -> a[1]).sum();
                boolean fits = reqs + 1 <= cap && toks + tokens <= cap * 10;
                assertThat(r.status()).as("run %d call %d", run, i).isEqualTo(fits ? 200 : 429);
                if (fits) {
                    admitted.add(new long[] {t, tokens});
                }
            }
        }
    }
}
