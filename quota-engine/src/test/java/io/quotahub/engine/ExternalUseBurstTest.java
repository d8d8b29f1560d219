package io.quotahub.engine;

import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.TreeMap;

import static io.quotahub.engine.Fixtures.T0;
import static io.quotahub.engine.Fixtures.config;
import static io.quotahub.engine.Fixtures.key;
import static io.quotahub.engine.Fixtures.ok;
import static io.quotahub.engine.Fixtures.outcome;
import static io.quotahub.engine.Fixtures.req;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An outside caller spends 8 of 20 requests per 5 s in one burst at the start of every window while
 * an agent calls through the hub continuously, each settle reporting the provider's remaining count
 * (docs/architecture.md, "External use"). Each report is the provider's current word: the hub must
 * never believe in more room than the provider has for longer than one report, and meets at most
 * one 429 per window.
 */
class ExternalUseBurstTest {

    private static final long WINDOW = 5_000;
    private static final long CAPACITY = 20;
    private static final long CALL = 200;
    private static final long STEP = 10;

    private final ManualClock clock = new ManualClock(T0);
    /** The provider's sliding window: when each call it counted came. */
    private final ArrayDeque<Long> provider = new ArrayDeque<>();

    private long providerRemaining(long t) {
        while (!provider.isEmpty() && provider.peekFirst() <= t - WINDOW) {
            provider.pollFirst();
        }
        return CAPACITY - provider.size();
    }

    /** OpenAI-style reset: until the provider's window is whole again. */
    private long resetAfter(long t) {
        return provider.isEmpty() ? 0 : provider.peekLast() + WINDOW - t;
    }

    @Test
    void burstsEveryWindow_theHubsBeliefFollowsTheProvider_atMostOne429PerWindow() {
        QuotaEngine e = new QuotaEngine(config(new PoolSpec("p", List.of(key("x1", LimitSpec.requests(CAPACITY,
                Duration.ofMillis(WINDOW)))), List.of(), 0, Preset.PREMIUM, PoolPolicy.ofDefaults(), false)).build(),
                clock, EngineListener.NONE);
        long start = clock.millis();
        TreeMap<Long, Integer> rateLimitedByWindow = new TreeMap<>();
        LeaseRecord open = null;
        boolean openCounted = false;
        long settleAt = 0;
        long nextTry = 0;
        long firstReport = -1;
        long overSince = -1;
        long longestOver = 0;
        for (long t = 0; t < 12 * WINDOW; t += STEP) {
            clock.set(java.time.Instant.ofEpochMilli(start + t));
            if (t % WINDOW == 0) {
                for (int i = 0; i < 8 && providerRemaining(t) > 0; i++) {
                    provider.addLast(t);
                }
            }
            if (open != null && t >= settleAt) {
                e.settle(openCounted ? ok(open, 0, clock) : outcome(open, Outcome.RATE_LIMITED, Duration.ZERO, clock));
                if (!openCounted && firstReport >= 0) {
                    rateLimitedByWindow.merge(t / WINDOW, 1, Integer::sum);
                }
                e.observeProvider("p", "x1", List.of(new ReportedLimit(ReportedLimit.Kind.REQUESTS, CAPACITY,
                        providerRemaining(t), resetAfter(t))));
                if (firstReport < 0) {
                    firstReport = t;
                }
                open = null;
            }
            if (open == null && t >= nextTry) {
                Decision d = e.acquire(req("p", 1));
                if (d instanceof Decision.Admitted g) {
                    open = g.lease();
                    openCounted = providerRemaining(t) > 0;
                    if (openCounted) {
                        provider.addLast(t);
                    }
                    settleAt = t + CALL;
                } else {
                    nextTry = t + 50;
                }
            }
            // the hub's belief against the provider's, with no call in flight (both count an open one)
            long hubRoom = CAPACITY - e.view().pools().get(0).keys().get(0).limits().get(0).used();
            boolean over = open == null && firstReport >= 0 && hubRoom > providerRemaining(t);
            if (over && overSince < 0) {
                overSince = t;
            } else if (!over) {
                overSince = -1;
            }
            if (overSince >= 0) {
                longestOver = Math.max(longestOver, t - overSince + STEP);
            }
        }
        assertThat(rateLimitedByWindow.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(1));
        assertThat(longestOver).isLessThanOrEqualTo(CALL + 50);
    }
}
