package io.quotahub.chaos.suite;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaHubException;

import java.time.Duration;
import java.util.List;

/** {@code sustained}: steady load at the limit (20 per 5 s, from both sides): every request gets a lease, none refused by the provider. */
final class SustainedScenario implements Scenario {

    @Override
    public String name() {
        return "sustained";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        long seconds = run.full() ? 30 : 10;
        int total = (int) (seconds * 4);
        int failed = 0;
        try (QuotaClient a = run.client("main"); QuotaClient b = run.client("edge")) {
            SuiteRun.warm(a, "steady");
            SuiteRun.warm(b, "steady");
            long t0 = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long due = t0 + i * 250_000_000L;
                Clock.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000L));
                QuotaClient c = i % 2 == 0 ? a : b;
                long asked = Clock.now();
                try {
                    Lease lease = c.acquire("steady", 1, Duration.ofSeconds(3));
                    run.record(c, lease, asked, i % 2 == 0 ? "main" : "edge");
                } catch (QuotaHubException e) {
                    failed++;
                    run.rec.miss(new Recorder.Miss(c.agentId(), "steady", Clock.now(), "refused", e.code(), 0, Clock.now() - asked));
                }
            }
        }
        ScenarioResult r = run.check("sustained", start, Clock.now(), List.of("steady"), List.of());
        r.details.put("requests", total);
        r.details.put("failedAcquires", failed);
        if (failed > 0) {
            r.failures.add(failed + " of " + total + " requests at the limit got no lease within 3 s");
        }
        return r;
    }
}
