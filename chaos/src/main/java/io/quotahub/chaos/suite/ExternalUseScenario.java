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
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * {@code external-use}: a caller outside QuotaHub spends 8 of key x1's 20 requests per 5 s straight
 * at the provider, all at once every 5 s (a script run on a timer), while one agent on each side calls it through
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
    /** Calls the outside caller makes at once, every window: 40 % of the key's 20. */
    static final int OUTSIDE_CALLS = 8;
    /** 429s of the agents allowed per window once feedback is on. */
    static final long MAX_429_PER_WINDOW = 1;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** The hubs' refusals the agents met, by code, then the last refusal's reason (for the report). */
    private final Map<String, Long> refusals = new ConcurrentSkipListMap<>();
    private volatile String lastRefusal = "";
    /** When the outside caller spent its calls (Clock.now()). */
    private final List<Long> outsideBursts = new java.util.concurrent.CopyOnWriteArrayList<>();

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
                outsideBursts.add(Clock.now());
                spendOutside(run.caller.provider(), OUTSIDE_CALLS);
                Clock.sleep(WINDOW.toMillis()); // once a window: a script run every few seconds
            }
        });
        try {
            long baselineStart = Clock.now();
            runAgents(run, Providers.generic(), phase, 0);
            // the baseline's 429s in a row may have opened the key's circuit (and its block): an
            // operator's reset starts the second phase from the same clean key as the first
            resetKey(run);
            long feedbackStart = Clock.now();
            // a cooldown left by the baseline's 429s may hold the first feedback call back: judge at
            // least three whole windows after it, whenever it comes
            runAgents(run, Providers.openai(), phase, 3);
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

    /**
     * One agent per side calls the key as fast as the hubs allow, for {@code millis} and at least
     * {@code windowsAfterFirstCall} windows after the first provider call of the phase (within a
     * minute in all).
     */
    private void runAgents(SuiteRun run, ProviderAdapter adapter, long millis, int windowsAfterFirstCall) {
        long begin = System.nanoTime();
        AtomicLong firstCall = new AtomicLong(Long.MAX_VALUE);
        BooleanSupplier going = () -> {
            long now = System.nanoTime();
            long first = firstCall.get();
            boolean enough = now - begin >= millis * 1_000_000L
                    && (first != Long.MAX_VALUE && now - first >= windowsAfterFirstCall * WINDOW.toNanos());
            return !enough && now - begin < 60_000_000_000L;
        };
        List<Thread> agents = new ArrayList<>();
        for (String side : ChaosCluster.HUBS) {
            agents.add(daemon("external-use-" + side, () -> {
                try (QuotaClient client = run.client(side)) {
                    while (going.getAsBoolean()) {
                        callOnce(client, adapter, run.caller.provider(), firstCall);
                    }
                }
            }));
        }
        for (Thread t : agents) {
            try {
                t.join(70_000);
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

    private void callOnce(QuotaClient client, ProviderAdapter adapter, URI provider, AtomicLong firstCall) {
        try {
            client.call(POOL, 1, Duration.ofSeconds(1), adapter.forHttpResponses(), RetryOptions.none(),
                    lease -> sendTo(provider, lease.apiKey(), firstCall));
        } catch (QuotaHubException refusedOrUnavailable) {
            refusals.merge(refusedOrUnavailable.code(), 1L, Long::sum);
            lastRefusal = refusedOrUnavailable.getMessage();
            Clock.sleep(50); // no lease within the wait: ask again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception providerUnreachable) { // the call settled as failed; the next one tries again
            Clock.sleep(50);
        }
    }

    private HttpResponse<String> sendTo(URI provider, String apiKey, AtomicLong firstCall) throws IOException, InterruptedException {
        firstCall.compareAndSet(Long.MAX_VALUE, System.nanoTime());
        return http.send(HttpRequest.newBuilder(provider.resolve("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"tokens\":1}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void resetKey(SuiteRun run) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(run.cluster.hubUrl("main")
                            + "/api/v1/admin/keys/" + POOL + "/" + KEY + "/reset"))
                    .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + run.cluster.token("OPERATOR"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                run.log.accept("external-use: reset of key " + KEY + " answered " + r.statusCode());
            }
        } catch (IOException e) {
            run.log.accept("external-use: reset of key " + KEY + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void spendOutside(URI provider, int calls) {
        try {
            http.send(HttpRequest.newBuilder(provider.resolve("/external")).timeout(Duration.ofSeconds(2))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"keyId\":\"" + KEY + "\",\"calls\":" + calls + ",\"tokens\":1}"))
                    .build(),
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
        r.details.put("refusals", Map.copyOf(refusals));
        // how long after the outside caller's last burst each 429 with feedback came: calls already in
        // flight when a burst takes the room the hubs counted on cannot be helped by any report
        List<Long> sinceBurst = plog.times(key, firstReport, end, 429).stream().map(t -> (t - outsideBursts.stream()
                .filter(b -> b <= t).max(Long::compare).orElse(t)) / 1_000_000L).toList();
        r.details.put("feedback429MsAfterBurst", sinceBurst);
        r.details.put("lastRefusal", lastRefusal);
        r.notes.add("external-use: without feedback " + baseline429 + " × 429 in " + (feedbackStart - baselineStart) / 1_000_000_000L
                + " s (" + baselineOk + " calls); with feedback 429s per 5 s window after the first report " + perWindow
                + " (" + feedbackOk + " calls; bound " + MAX_429_PER_WINDOW + " per window), each that many ms after the outside"
                + " caller's burst: " + sinceBurst + "; the hubs refused " + refusals
                + (lastRefusal.isEmpty() ? "" : ", last: " + lastRefusal));
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
