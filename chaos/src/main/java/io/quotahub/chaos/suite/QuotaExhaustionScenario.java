package io.quotahub.chaos.suite;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.chaos.checker.ProviderLog;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.engine.EngineConfig;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code quota-exhaustion}: demand far above 40 per 5 s from both sides: refusals start before the
 * provider's window is full (the provider never says 429); after the load stops and the window
 * resets, a lease comes at once.
 */
final class QuotaExhaustionScenario implements Scenario {

    @Override
    public String name() {
        return "quota-exhaustion";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        List<ChaosAgent> hammer = new ArrayList<>();
        for (String side : ChaosCluster.HUBS) {
            for (int i = 0; i < 2; i++) {
                ChaosAgent a = new ChaosAgent("exhaust-" + side + "-" + run.nextId(), side, run.cluster.agentClient(side),
                        "exhaust", run.rec, run.caller, 0);
                a.demand(true);
                hammer.add(a);
            }
        }
        Clock.sleep(run.full() ? 8_000 : 4_000);
        hammer.forEach(ChaosAgent::close);
        long stopped = Clock.now();
        // the window resets one window (plus the hubs' settle margin) after the last call
        long lastCall = run.rec.calls(c -> c.keyId().equals("q1")).stream().mapToLong(Recorder.CallRec::at).max().orElse(stopped);
        long reset = lastCall + Duration.ofSeconds(5).plus(EngineConfig.DEFAULT_SETTLE_MARGIN).toNanos();
        long recoveredAt = -1;
        try (QuotaClient probe = run.client("main")) {
            Clock.sleep(Math.max(0, (reset - Clock.now()) / 1_000_000L));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (System.nanoTime() < deadline && recoveredAt < 0) {
                long asked = Clock.now();
                Optional<Lease> lease = SuiteRun.tryAcquire(probe, "exhaust");
                if (lease.isPresent()) {
                    recoveredAt = Clock.now();
                    run.record(probe, lease.get(), asked, "main");
                } else {
                    Clock.sleep(50);
                }
            }
        }
        ScenarioResult r = run.check("quota-exhaustion", start, Clock.now(), List.of("exhaust"), List.of());
        List<Recorder.Miss> refusals = run.rec.misses(m -> m.pool().equals("exhaust") && m.kind().equals("refused") && m.at() >= start);
        r.details.put("refusals", refusals.size());
        r.details.put("refusalCodes", refusals.stream().map(Recorder.Miss::code).distinct().sorted().toList());
        long recoveryMs = recoveredAt < 0 ? -1 : Math.max(0, (recoveredAt - reset) / 1_000_000L);
        r.details.put("recoveryAfterResetMs", recoveryMs);
        try {
            ProviderLog plog = run.checker.providerLog();
            if (!refusals.isEmpty()) {
                // how full the provider's window was when the hubs began refusing
                long first = refusals.get(0).at();
                long inWindow = plog.count(List.of("q1"), first - Duration.ofSeconds(5).toNanos(), first, 200);
                r.details.put("providerFillAtFirstRefusal", inWindow + "/40");
            }
        } catch (IOException e) {
            r.failures.add("provider log unavailable: " + e.getMessage());
        }
        if (refusals.isEmpty()) {
            r.failures.add("the hubs never refused: throttling did not engage");
        }
        if (recoveredAt < 0) {
            r.failures.add("no lease within 15 s after the window reset");
        } else if (recoveryMs > 2_000) {
            r.failures.add("recovery took " + recoveryMs + " ms after the window reset (bound 2000 ms)");
        }
        return r;
    }
}
