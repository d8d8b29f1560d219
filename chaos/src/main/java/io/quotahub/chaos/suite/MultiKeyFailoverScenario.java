package io.quotahub.chaos.suite;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.chaos.checker.AtOnce;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code multi-key-failover}: primary m1 filled to 99 % (while m2, with a 2 s window, empties
 * again), then leases must come from the fresh secondary m2 at once (< 100 ms each), without the
 * agent doing anything.
 */
final class MultiKeyFailoverScenario implements Scenario {

    /** Agents filling the primary key, half on each side. */
    private static final int FILL_AGENTS = 8;

    @Override
    public String name() {
        return "multi-key-failover";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        AtomicInteger primary = new AtomicInteger();
        List<Long> latencies = new ArrayList<>();
        List<String> probeKeys = new ArrayList<>();
        try (QuotaClient a = run.client("main"); QuotaClient b = run.client("edge")) {
            // The engine gives each lease the key with the most room, so m1 fills only while m2 is
            // full: agents on both sides ask faster than m2's 50/s (a provider call per lease included).
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            List<Thread> agents = new ArrayList<>();
            for (int t = 0; t < FILL_AGENTS; t++) {
                QuotaClient c = t % 2 == 0 ? a : b;
                Thread agent = new Thread(() -> {
                    while (primary.get() < 99 && System.nanoTime() < deadline) {
                        long asked = Clock.now();
                        Optional<Lease> lease = SuiteRun.tryAcquire(c, "multi");
                        if (lease.isEmpty()) {
                            Clock.sleep(5);
                            continue;
                        }
                        if (lease.get().keyId().equals("m1")) {
                            primary.incrementAndGet();
                        }
                        run.record(c, lease.get(), asked, c == a ? "main" : "edge");
                    }
                }, "fill-" + t);
                agent.start();
                agents.add(agent);
            }
            for (Thread agent : agents) {
                try {
                    agent.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            // m2's 2 s window empties; m1's 20 s window still holds 99 of 100
            Clock.sleep(2_500);
            for (int k = 0; k < 10; k++) {
                QuotaClient c = k % 2 == 0 ? a : b;
                long asked = Clock.now();
                try {
                    Lease lease = c.acquire("multi", 1, Duration.ofSeconds(1));
                    latencies.add((Clock.now() - asked) / 1_000_000L);
                    probeKeys.add(lease.keyId());
                    run.record(c, lease, asked, c == a ? "main" : "edge");
                } catch (QuotaHubException e) {
                    probeKeys.add("refused:" + e.code());
                }
            }
        }
        ScenarioResult r = run.check("multi-key-failover", start, Clock.now(), List.of("multi"), List.of());
        int onPrimary = primary.get();
        r.details.put("primaryFill", onPrimary + "/100");
        r.details.put("probeKeys", probeKeys);
        r.details.put("probeLatencyMs", latencies);
        if (onPrimary < 99) {
            r.failures.add("could not fill the primary to 99 % (" + onPrimary + "/100)");
        }
        long notSecondary = probeKeys.stream().filter(k -> !k.equals("m2")).count();
        if (notSecondary > 0) {
            r.failures.add(notSecondary + " of 10 leases after the primary reached 99 % did not come from the secondary: " + probeKeys);
        }
        // each lease must come at once: median under 100 ms, none as slow as 500 ms (see burst)
        AtOnce leases = AtOnce.of(latencies);
        r.details.put("leasesOver100ms", leases.over100ms());
        if (!leases.atOnce()) {
            r.failures.add("leases from the secondary not at once: " + latencies + " ms");
        }
        return r;
    }
}
