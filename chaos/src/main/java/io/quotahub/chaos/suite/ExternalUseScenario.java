package io.quotahub.chaos.suite;

import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.agent.RetryOptions;
import io.quotahub.agent.provider.ProviderAdapter;
import io.quotahub.agent.provider.Providers;
import io.quotahub.chaos.checker.ProviderLog;
import io.quotahub.chaos.cluster.ChaosCluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code external-use}: a caller outside QuotaHub spends half of key x1's requests (20 per 5 s)
 * straight at the provider, while one agent on each side calls it through
 * {@code QuotaClient.call} in OpenAI style. First without feedback (the agents read only
 * Retry-After: the hubs never learn of the outside calls, the baseline), then with the OpenAI
 * adapter, whose settles carry the provider's remaining requests so the hubs book the outside use.
 * With feedback the agents get at most one 429 per 5 s window once the first report is in.
 */
final class ExternalUseScenario implements Scenario {

    static final String POOL = "outside";
    static final String KEY = "x1";
    /** The key's window and limit (Suite.POOLS). */
    static final Duration WINDOW = Duration.ofSeconds(5);
    /** 429s of the agents allowed per window once feedback is on. */
    static final long MAX_429_PER_WINDOW = 1;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Override
    public String name() {
        return "external-use";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long phase = run.full() ? 25_000 : 15_000;
        long start = Clock.now();
        AtomicBoolean outsiderOn = new AtomicBoolean(true);
        Thread outsider = daemon("external-caller", () -> {
            while (outsiderOn.get()) {
                spendOutside(run.caller.provider());
                Clock.sleep(WINDOW.toMillis() / 10); // 10 calls per window: half the key's 20
            }
        });
        try {
            long baselineStart = Clock.now();
            runAgents(run, Providers.generic(), phase);
            long feedbackStart = Clock.now();
            runAgents(run, Providers.openai(), phase);
            long end = Clock.now();
            return judge(run, start, baselineStart, feedbackStart, end);
        } finally {
            outsiderOn.set(false);
            try {
                outsider.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One agent per side calls the key as fast as the hubs allow, for {@code millis}. */
    private void runAgents(SuiteRun run, ProviderAdapter adapter, long millis) {
        long until = System.nanoTime() + millis * 1_000_000L;
        List<Thread> agents = new ArrayList<>();
        for (String side : ChaosCluster.HUBS) {
            agents.add(daemon("external-use-" + side, () -> {
                try (QuotaClient client = run.client(side)) {
                    while (System.nanoTime() < until) {
                        callOnce(client, adapter, run.caller.provider());
                    }
                }
            }));
        }
        for (Thread t : agents) {
            try {
                t.join(millis + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void callOnce(QuotaClient client, ProviderAdapter adapter, URI provider) {
        try {
            client.call(POOL, 1, Duration.ofSeconds(1), adapter.forHttpResponses(), RetryOptions.none(),
                    lease -> http.send(HttpRequest.newBuilder(provider.resolve("/v1/chat/completions"))
                            .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + lease.apiKey())
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"tokens\":1}")).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (QuotaHubException refusedOrUnavailable) {
            Clock.sleep(50); // no lease within the wait: ask again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception providerUnreachable) { // the call settled as failed; the next one tries again
            Clock.sleep(50);
        }
    }

    private void spendOutside(URI provider) {
        try {
            http.send(HttpRequest.newBuilder(provider.resolve("/external")).timeout(Duration.ofSeconds(2))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"keyId\":\"" + KEY + "\",\"calls\":1,\"tokens\":1}")).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            // the next tick tries again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ScenarioResult judge(SuiteRun run, long start, long baselineStart, long feedbackStart, long end) {
        ScenarioResult r = new ScenarioResult(name(), start, end);
        ProviderLog plog;
        try {
            plog = run.checker.providerLog();
        } catch (IOException e) {
            r.failures.add("provider log unavailable: " + e.getMessage());
            return r;
        }
        List<String> key = List.of(KEY);
        long baselineOk = plog.count(key, baselineStart, feedbackStart, 200);
        long baseline429 = plog.count(key, baselineStart, feedbackStart, 429);
        long feedbackOk = plog.count(key, feedbackStart, end, 200);
        long window = WINDOW.toNanos();
        // the first report goes out with the first settle of the feedback phase; judge whole windows after it
        long firstReport = plog.firstCall(key, feedbackStart, end).orElse(end);
        List<Long> perWindow = new ArrayList<>();
        for (long w = firstReport + window; w + window <= end; w += window) {
            perWindow.add(plog.count(key, w, w + window - 1, 429));
        }
        r.leases = baselineOk + feedbackOk;
        r.provider429 = baseline429 + perWindow.stream().mapToLong(Long::longValue).sum();
        r.details.put("baseline", baselineOk + " calls, " + baseline429 + " × 429");
        r.details.put("feedback429PerWindow", perWindow);
        r.notes.add("external-use: without feedback " + baseline429 + " × 429 in " + (feedbackStart - baselineStart) / 1_000_000_000L
                + " s (" + baselineOk + " calls); with feedback 429s per 5 s window after the first report " + perWindow
                + " (" + feedbackOk + " calls; bound " + MAX_429_PER_WINDOW + " per window)");
        if (perWindow.isEmpty()) {
            r.failures.add("no whole window after the first report: the agents made no call with feedback");
        }
        for (int i = 0; i < perWindow.size(); i++) {
            if (perWindow.get(i) > MAX_429_PER_WINDOW) {
                r.failures.add("window " + (i + 1) + " after the first report: " + perWindow.get(i) + " × 429 (bound "
                        + MAX_429_PER_WINDOW + ")");
            }
        }
        if (feedbackOk == 0) {
            r.failures.add("no call succeeded with feedback on: the hubs over-corrected");
        }
        return r;
    }
}
