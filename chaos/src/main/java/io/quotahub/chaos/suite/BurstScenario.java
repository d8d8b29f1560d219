package io.quotahub.chaos.suite;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.chaos.checker.AtOnce;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code burst}: 100 requests in 10 s against 20 per 10 s: at most 20 reach the provider, the rest refused at once with a retry time. */
final class BurstScenario implements Scenario {

    @Override
    public String name() {
        return "burst";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        List<Long> refusalMillis = new ArrayList<>();
        int noRetry = 0;
        int granted = 0;
        try (QuotaClient a = run.client("main"); QuotaClient b = run.client("edge")) {
            SuiteRun.warm(a, "burst");
            SuiteRun.warm(b, "burst");
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                long due = t0 + i * 100_000_000L;
                Clock.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000L));
                QuotaClient c = i % 2 == 0 ? a : b;
                long asked = Clock.now();
                try {
                    Lease lease = c.acquire("burst", 1, Duration.ZERO);
                    run.record(c, lease, asked, i % 2 == 0 ? "main" : "edge");
                    granted++;
                } catch (QuotaExhaustedException e) {
                    refusalMillis.add((Clock.now() - asked) / 1_000_000L);
                    run.rec.miss(new Recorder.Miss(c.agentId(), "burst", Clock.now(), "refused", e.code(),
                            e.retryAfter() == null ? 0 : e.retryAfter().toMillis(), Clock.now() - asked));
                    if (e.retryAfter() == null || e.retryAfter().isZero()) {
                        noRetry++;
                    }
                }
            }
        }
        ScenarioResult r = run.check("burst", start, Clock.now(), List.of("burst"), List.of());
        AtOnce refusals = AtOnce.of(refusalMillis);
        r.details.put("granted", granted);
        r.details.put("refused", refusalMillis.size());
        r.details.put("slowestRefusalMs", refusals.slowestMs());
        if (granted > 20) {
            r.failures.add(granted + " of 100 granted against a limit of 20");
        }
        if (granted + refusalMillis.size() != 100) {
            r.failures.add((100 - granted - refusalMillis.size()) + " requests neither granted nor refused");
        }
        r.details.put("medianRefusalMs", refusals.medianMs());
        r.details.put("refusalsOver100ms", refusals.over100ms());
        if (!refusals.atOnce()) {
            r.failures.add("refusals not at once: median " + refusals.medianMs() + " ms, slowest " + refusals.slowestMs() + " ms ("
                    + refusals.over100ms() + " of " + refusalMillis.size() + " over 100 ms)");
        }
        if (noRetry > 0) {
            r.failures.add(noRetry + " refusals without a retry time");
        }
        return r;
    }
}
