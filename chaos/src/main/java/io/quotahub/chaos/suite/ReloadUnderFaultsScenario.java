package io.quotahub.chaos.suite;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;
import io.quotahub.chaos.provider.ProviderLimiter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code reload-under-faults}: an operator changes pool {@value #POOL} while agents on both sides
 * use it and the hubs fail: a key added (through hub-main), the limit lowered while hub-edge is
 * dead (it restarts from the reloaded file), raised while the link is cut (hub-edge follows once
 * it is back), and the key removed again (through hub-edge). The provider changes its limit as a
 * real one would around such reloads: it lowers after the hubs did (once the leases granted
 * before the switch had their calls), and raises before them. Besides the usual checks (0 provider
 * 429s, no lease lost, the gaps of the kill and the split, convergence, which includes both hubs on
 * the same pools version): the provider's windows of {@code r1} that begin once the lowering
 * switched and end before the raise hold no more than the lowered limit, no window holds more than
 * the raised one after that, every reload's reply names its change, both hubs end on the same
 * version, and no lease of the removed key is granted after its removal.
 */
final class ReloadUnderFaultsScenario implements Scenario {

    static final String POOL = "reload";
    static final List<String> KEYS = List.of("r1", "r2");
    /** The key a reload adds: the provider knows it from the start (the account has it), the hubs only after. */
    static final String PROVIDER_ONLY_KEYS = """
                reload-added:
                  keys:
                    - id: r2
                      secret-env: QH_CHAOS_R2
                      limits:
                        - { requests: 40, per: 5s }
            """;
    private static final long START = 60;
    private static final long LOWERED = 30;
    private static final long RAISED = 45;
    private static final long WINDOW_NANOS = Duration.ofSeconds(5).toNanos();
    /** After a switch, the leases granted before it have had their calls (agents call at once). */
    private static final long GRACE_MILLIS = 1_000;
    private static final Duration VERSION_WAIT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @Override
    public String name() {
        return "reload-under-faults";
    }

    /** The block of pool {@value #POOL} as the run's pools hold it, indented as in {@link Suite#POOLS}. */
    static String block(long r1, boolean withR2) {
        String out = """
                    reload:
                      keys:
                        - id: r1
                          secret-env: QH_CHAOS_R1
                          limits:
                            - { requests: %d, per: 5s }
                """.formatted(r1);
        if (withR2) {
            out += """
                        - id: r2
                          secret-env: QH_CHAOS_R2
                          limits:
                            - { requests: 40, per: 5s }
                """;
        }
        return out;
    }

    static String pools(long r1, boolean withR2) {
        String original = block(START, false);
        if (!Suite.POOLS.contains(original)) {
            throw new IllegalStateException("Suite.POOLS has no block of pool " + POOL + " as " + original);
        }
        return Suite.POOLS.replace(original, block(r1, withR2));
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        ProviderLimiter provider = run.provider;
        List<ChaosAgent> agents = new ArrayList<>();
        for (String side : ChaosCluster.HUBS) {
            for (int i = 1; i <= 2; i++) {
                ChaosAgent a = new ChaosAgent(side + "-reload-" + i + "-" + run.nextId(), side, run.cluster.agentClient(side), POOL,
                        run.rec, run.caller, 100);
                a.demand(true);
                agents.add(a);
            }
        }
        List<String> problems = new ArrayList<>();
        List<Fault> faults = new ArrayList<>();
        long lowerSwitched;
        long raisedAt;
        long removedAt;
        try {
            run.shiftDemand();
            Clock.sleep(run.profile.settleMillis());
            // 1. a key added, through hub-main, both hubs up
            reload(run, "main", pools(START, true), "keys added: reload/r2", problems);
            awaitSameVersion(run, problems);
            Clock.sleep(run.profile.settleMillis());

            // 2. the limit lowered while hub-edge is dead: it restarts from the reloaded file
            run.allDemand(true);
            Fault kill = run.nemesis.inject(FaultKind.KILL_HUB, "edge");
            faults.add(kill);
            Clock.sleep(run.profile.holdMillis() / 2);
            reload(run, "main", pools(LOWERED, true), "lowered: reload/r1#0 " + START + " -> " + LOWERED, problems);
            lowerSwitched = Clock.now(); // the one hub up runs it; the other starts with it
            Clock.sleep(GRACE_MILLIS);
            provider.changeLimit("r1", 0, LOWERED);
            Clock.sleep(run.profile.holdMillis() / 2);
            run.shiftDemand();
            run.healAndConverge(kill);
            Clock.sleep(run.profile.settleMillis());

            // 3. the limit raised while the link is cut: the provider first, then the hubs (hub-edge follows after the heal)
            run.allDemand(true);
            Fault split = run.nemesis.inject(FaultKind.SPLIT_CUT, null);
            faults.add(split);
            Clock.sleep(run.profile.holdMillis() / 2);
            provider.changeLimit("r1", 0, RAISED);
            raisedAt = Clock.now();
            reload(run, "main", pools(RAISED, true), "raised: reload/r1#0 " + LOWERED + " -> " + RAISED, problems);
            Clock.sleep(run.profile.holdMillis() / 2);
            run.shiftDemand();
            run.healAndConverge(split);
            Clock.sleep(run.profile.settleMillis());

            // 4. the key removed, through hub-edge
            reload(run, "edge", pools(RAISED, false), "keys removed: reload/r2", problems);
            removedAt = Clock.now();
            awaitSameVersion(run, problems);
            Clock.sleep(run.profile.settleMillis());
            run.allDemand(false);
        } finally {
            agents.forEach(ChaosAgent::close);
        }
        long end = Clock.now();
        ScenarioResult r = run.check(name(), start, end, List.of("chaos", POOL), faults);
        r.failures.addAll(problems);
        judgeWindows(r, provider, lowerSwitched + GRACE_MILLIS * 1_000_000L, raisedAt, end);
        long late = run.rec.leases(l -> "r2".equals(l.keyId()) && l.at() > removedAt).size();
        r.details.put("r2LeasesAfterRemoval", late);
        if (late > 0) {
            r.failures.add(late + " leases of key r2 granted after the reload that removed it");
        }
        return r;
    }

    /** The provider's windows of r1: the lowered limit from the switch on until the raise, the raised one after. */
    private static void judgeWindows(ScenarioResult r, ProviderLimiter provider, long lowered, long raised, long end) {
        List<Long> ok = new ArrayList<>();
        for (ProviderLimiter.Call c : provider.calls()) {
            if ("r1".equals(c.keyId()) && c.status() == ProviderLimiter.OK) {
                ok.add(c.time().getEpochSecond() * 1_000_000_000L + c.time().getNano());
            }
        }
        ok.sort(Long::compare);
        int whileLowered = mostInAWindow(ok, lowered, raised - WINDOW_NANOS, raised);
        int afterwards = mostInAWindow(ok, lowered, end, end);
        r.details.put("r1WindowWhileLowered", whileLowered + "/" + LOWERED);
        r.details.put("r1WindowAfterLowering", afterwards + "/" + RAISED);
        if (whileLowered > LOWERED) {
            r.failures.add("a window of r1 after the lowering switched held " + whileLowered + " calls (limit " + LOWERED + ")");
        }
        if (afterwards > RAISED) {
            r.failures.add("a window of r1 after the lowering held " + afterwards + " calls (never above " + RAISED + ")");
        }
    }

    /** The most calls in a window that starts in [from, to) and ends by {@code endBy}. */
    static int mostInAWindow(List<Long> sorted, long from, long to, long endBy) {
        int most = 0;
        int j = 0;
        for (int i = 0; i < sorted.size(); i++) {
            long s = sorted.get(i);
            j = Math.max(j, i);
            while (j < sorted.size() && sorted.get(j) < s + WINDOW_NANOS) {
                j++;
            }
            if (s >= from && s < to && s + WINDOW_NANOS <= endBy) {
                most = Math.max(most, j - i);
            }
        }
        return most;
    }

    /** Rewrites the hubs' files with {@code pools} and reloads through {@code hubId}; a refused or silent reload is a failure. */
    private void reload(SuiteRun run, String hubId, String pools, String change, List<String> problems) {
        run.cluster.replacePools(pools);
        try {
            HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create(run.cluster.hubUrl(hubId)
                            + "/api/v1/admin/config/reload")).header("Authorization", "Bearer " + run.cluster.token("OPERATOR"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            run.log.accept("reload through " + hubId + ": " + reply.statusCode() + " " + reply.body());
            if (reply.statusCode() != 200 || !reply.body().contains(change)) {
                problems.add("reload through " + hubId + " (" + change + ") answered " + reply.statusCode() + ": " + reply.body());
            }
        } catch (java.io.IOException e) {
            problems.add("reload through " + hubId + " (" + change + ") failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("interrupted");
        }
    }

    /** Both hubs run the same pools version, within {@link #VERSION_WAIT}. */
    private void awaitSameVersion(SuiteRun run, List<String> problems) {
        long deadline = System.nanoTime() + VERSION_WAIT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            long main = version(run, "main");
            long edge = version(run, "edge");
            if (main >= 0 && main == edge) {
                return;
            }
            last = "main " + main + ", edge " + edge;
            Clock.sleep(50);
        }
        problems.add("the hubs did not run the same pools version within " + VERSION_WAIT.toSeconds() + " s: " + last);
    }

    private long version(SuiteRun run, String hubId) {
        try {
            HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create(run.cluster.hubUrl(hubId) + "/api/v1/config"))
                    .header("Authorization", "Bearer " + run.cluster.token("VIEWER")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return reply.statusCode() == 200 ? ChaosJson.num(ChaosJson.obj(ChaosJson.parse(reply.body())).get("version")) : -1;
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
