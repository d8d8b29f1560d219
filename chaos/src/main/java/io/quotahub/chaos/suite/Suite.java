package io.quotahub.chaos.suite;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.agent.Lease;
import io.quotahub.agent.NatsFiles;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.chaos.checker.HubAgreement;
import io.quotahub.chaos.checker.LedgerScan;
import io.quotahub.chaos.checker.ProviderLog;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.hostile.HostileAgent;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;
import io.quotahub.chaos.nemesis.Nemesis;
import io.quotahub.chaos.provider.HubConfigKeys;
import io.quotahub.chaos.provider.ProviderKey;
import io.quotahub.chaos.provider.ProviderServer;
import io.quotahub.proto.Subjects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The chaos suite on one running cluster: the workload (agents on both sides, demand shifting
 * between them), the nemesis, the named scenarios, and the checker that judges each scenario
 * from what the agents and the provider saw (plus the hubs' ledgers, read straight from
 * JetStream, and whether the two hubs agree after a heal).
 */
public final class Suite implements AutoCloseable {

    /** The pools of the run; windows are scaled down so that a scenario takes seconds. */
    public static final String POOLS = """
              pools:
                burst:
                  keys:
                    - id: b1
                      secret-env: QH_CHAOS_B1
                      limits:
                        - { requests: 20, per: 10s }
                steady:
                  keys:
                    - id: s1
                      secret-env: QH_CHAOS_S1
                      limits:
                        - { requests: 20, per: 5s }
                exhaust:
                  keys:
                    - id: q1
                      secret-env: QH_CHAOS_Q1
                      limits:
                        - { requests: 40, per: 5s }
                multi:
                  preset: PREMIUM
                  keys:
                    - id: m1
                      secret-env: QH_CHAOS_M1
                      limits:
                        - { requests: 100, per: 20s }
                    - id: m2
                      secret-env: QH_CHAOS_M2
                      limits:
                        - { requests: 100, per: 2s }
                chaos:
                  keys:
                    - id: c1
                      secret-env: QH_CHAOS_C1
                      limits:
                        - { requests: 60, per: 5s }
                    - id: c2
                      secret-env: QH_CHAOS_C2
                      limits:
                        - { requests: 60, per: 5s }
                guarded:
                  max-tokens-per-call: 250
                  max-open-leases-per-agent: 3
                  max-share-per-agent: 0.05
                  high-priority-agents: [ "ops-*" ]
                  keys:
                    - id: g1
                      secret-env: QH_CHAOS_G1
                      limits:
                        - { requests: 60, per: 5s }
                        - { tokens: 3000, per: 5s }
                    - id: g2
                      secret-env: QH_CHAOS_G2
                      limits:
                        - { requests: 60, per: 5s }
                        - { tokens: 3000, per: 5s }
            """;
    /**
     * Short lease and agent timeouts, so crashed agents' leases come back within the scenario; a
     * provider's Retry-After locks a key for at most 30 s.
     */
    public static final String EXTRA = """
              lease-ttl: 10s
              agent-dead-after: 3s
              max-cooldown: 30s
            """;
    public static final List<String> SECRET_ENVS = List.of("QH_CHAOS_B1", "QH_CHAOS_S1", "QH_CHAOS_Q1", "QH_CHAOS_M1",
            "QH_CHAOS_M2", "QH_CHAOS_C1", "QH_CHAOS_C2", "QH_CHAOS_G1", "QH_CHAOS_G2");
    static final Map<String, List<String>> POOL_KEYS = Map.of("burst", List.of("b1"), "steady", List.of("s1"),
            "exhaust", List.of("q1"), "multi", List.of("m1", "m2"), "chaos", List.of("c1", "c2"),
            HostileAgentScenario.POOL, List.of("g1", "g2"));
    private static final long CONVERGENCE_BOUND_MS = 10_000;
    private static final Duration CONVERGENCE_WAIT = Duration.ofSeconds(30);

    private final ChaosCluster cluster;
    private final Profile profile;
    private final Random random;
    private final Consumer<String> log;
    private final Recorder rec = new Recorder();
    private final Nemesis nemesis;
    private final HubAgreement agreement = new HubAgreement();
    private final LedgerScan ledgers = new LedgerScan();
    private final List<ProviderKey> keys;
    private final ProviderServer provider;
    private final URI providerUri;
    private final ProviderCaller caller;
    private final List<ChaosAgent> chaosAgents = new ArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();

    public Suite(ChaosCluster cluster, Profile profile, long seed, Consumer<String> log) {
        this.cluster = cluster;
        this.profile = profile;
        this.random = new Random(seed);
        this.log = log;
        this.nemesis = new Nemesis(cluster, log);
        Map<String, String> secrets = cluster.secrets();
        Object yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load("quotahub:\n" + POOLS);
        this.keys = HubConfigKeys.parse(yaml, secrets::get, w -> log.accept("provider: " + w));
        try {
            this.provider = ProviderServer.start(keys, "127.0.0.1", 0, Duration.ofMillis(2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.providerUri = URI.create("http://127.0.0.1:" + provider.port());
        this.caller = new ProviderCaller(providerUri);
        for (String side : ChaosCluster.HUBS) {
            for (int i = 1; i <= 2; i++) {
                chaosAgents.add(new ChaosAgent(side + "-agent-" + i, side, cluster.agentClient(side), "chaos", rec, caller, 400));
            }
        }
    }

    public Nemesis nemesis() {
        return nemesis;
    }

    public Recorder recorder() {
        return rec;
    }

    /** Runs every scenario of the profile; one result each, in order. */
    public List<ScenarioResult> run() {
        awaitAgreement("start");
        List<ScenarioResult> results = new ArrayList<>();
        for (String name : profile.scenarios()) {
            log.accept("scenario " + name + ": start");
            ScenarioResult r;
            try {
                r = runOne(name);
            } catch (RuntimeException e) {
                r = new ScenarioResult(name, Clock.now(), Clock.now());
                r.failures.add("scenario crashed: " + e);
                log.accept("scenario " + name + " crashed: " + e);
                recover();
            }
            log.accept("scenario " + name + ": " + r.verdict() + (r.failures.isEmpty() ? "" : " " + r.failures));
            results.add(r);
        }
        allDemand(false);
        return results;
    }

    private ScenarioResult runOne(String name) {
        return switch (name) {
            case "burst" -> burst();
            case "sustained" -> sustained();
            case "quota-exhaustion" -> quotaExhaustion();
            case "multi-key-failover" -> multiKeyFailover();
            case "kill-hub-main" -> faultScenario(name, FaultKind.KILL_HUB, "main");
            case "kill-hub-edge" -> faultScenario(name, FaultKind.KILL_HUB, "edge");
            case "pause-hub-main" -> faultScenario(name, FaultKind.PAUSE_HUB, "main");
            case "pause-hub-edge" -> faultScenario(name, FaultKind.PAUSE_HUB, "edge");
            case "kill-nats-main" -> faultScenario(name, FaultKind.KILL_NATS, "main");
            case "kill-nats-edge" -> faultScenario(name, FaultKind.KILL_NATS, "edge");
            case "split-cut" -> faultScenario(name, FaultKind.SPLIT_CUT, null);
            case "split-blackhole" -> faultScenario(name, FaultKind.SPLIT_BLACKHOLE, null);
            case "restart-both-hubs" -> faultScenario(name, FaultKind.RESTART_BOTH, null);
            case "agent-crash" -> agentCrash();
            case "clock-skew" -> clockSkew();
            case "hostile-agent" -> hostileAgent();
            case "random-mix" -> randomMix();
            default -> throw new IllegalArgumentException("unknown scenario " + name);
        };
    }

    // ------------------------------------------------------------------ the test plan's scenarios

    /** 100 requests in 10 s against 20 per 10 s: at most 20 reach the provider, the rest refused at once with a retry time. */
    private ScenarioResult burst() {
        long start = Clock.now();
        List<Long> refusalMillis = new ArrayList<>();
        int noRetry = 0;
        int granted = 0;
        try (QuotaClient a = client("main"); QuotaClient b = client("edge")) {
            warm(a, "burst");
            warm(b, "burst");
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                long due = t0 + i * 100_000_000L;
                Clock.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000L));
                QuotaClient c = i % 2 == 0 ? a : b;
                long asked = Clock.now();
                try {
                    Lease lease = c.acquire("burst", 1, Duration.ZERO);
                    record(c, lease, asked, i % 2 == 0 ? "main" : "edge");
                    granted++;
                } catch (QuotaExhaustedException e) {
                    refusalMillis.add((Clock.now() - asked) / 1_000_000L);
                    rec.miss(new Recorder.Miss(c.agentId(), "burst", Clock.now(), "refused", e.code(),
                            e.retryAfter() == null ? 0 : e.retryAfter().toMillis(), Clock.now() - asked));
                    if (e.retryAfter() == null || e.retryAfter().isZero()) {
                        noRetry++;
                    }
                }
            }
        }
        ScenarioResult r = check("burst", start, Clock.now(), List.of("burst"), List.of());
        long slowest = refusalMillis.stream().mapToLong(Long::longValue).max().orElse(0);
        long over100 = refusalMillis.stream().filter(ms -> ms >= 100).count();
        r.details.put("granted", granted);
        r.details.put("refused", refusalMillis.size());
        r.details.put("slowestRefusalMs", slowest);
        if (granted > 20) {
            r.failures.add(granted + " of 100 granted against a limit of 20");
        }
        if (granted + refusalMillis.size() != 100) {
            r.failures.add((100 - granted - refusalMillis.size()) + " requests neither granted nor refused");
        }
        // "refused at once (< 100 ms)": the median must be under 100 ms and no refusal may take
        // 500 ms (that one waited or queued). Single refusals over 100 ms are counted, not failed:
        // on a shared, loaded host they are the scheduler's (no test asserts on speed: that is bench/'s)
        long median = refusalMillis.isEmpty() ? 0 : refusalMillis.stream().sorted().toList().get(refusalMillis.size() / 2);
        r.details.put("medianRefusalMs", median);
        r.details.put("refusalsOver100ms", over100);
        if (median >= 100 || slowest >= 500) {
            r.failures.add("refusals not at once: median " + median + " ms, slowest " + slowest + " ms (" + over100 + " of "
                    + refusalMillis.size() + " over 100 ms)");
        }
        if (noRetry > 0) {
            r.failures.add(noRetry + " refusals without a retry time");
        }
        return r;
    }

    /** Steady load at the limit (20 per 5 s, from both sides): every request gets a lease, none refused by the provider. */
    private ScenarioResult sustained() {
        long start = Clock.now();
        long seconds = profile.name().equals("full") ? 30 : 10;
        int total = (int) (seconds * 4);
        int failed = 0;
        try (QuotaClient a = client("main"); QuotaClient b = client("edge")) {
            warm(a, "steady");
            warm(b, "steady");
            long t0 = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long due = t0 + i * 250_000_000L;
                Clock.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000L));
                QuotaClient c = i % 2 == 0 ? a : b;
                long asked = Clock.now();
                try {
                    Lease lease = c.acquire("steady", 1, Duration.ofSeconds(3));
                    record(c, lease, asked, i % 2 == 0 ? "main" : "edge");
                } catch (QuotaHubException e) {
                    failed++;
                    rec.miss(new Recorder.Miss(c.agentId(), "steady", Clock.now(), "refused", e.code(), 0, Clock.now() - asked));
                }
            }
        }
        ScenarioResult r = check("sustained", start, Clock.now(), List.of("steady"), List.of());
        r.details.put("requests", total);
        r.details.put("failedAcquires", failed);
        if (failed > 0) {
            r.failures.add(failed + " of " + total + " requests at the limit got no lease within 3 s");
        }
        return r;
    }

    /**
     * Demand far above 40 per 5 s from both sides: refusals start before the provider's window is
     * full (the provider never says 429); after the load stops and the window resets, a lease comes at once.
     */
    private ScenarioResult quotaExhaustion() {
        long start = Clock.now();
        List<ChaosAgent> hammer = new ArrayList<>();
        for (String side : ChaosCluster.HUBS) {
            for (int i = 0; i < 2; i++) {
                ChaosAgent a = new ChaosAgent("exhaust-" + side + "-" + ids.incrementAndGet(), side, cluster.agentClient(side),
                        "exhaust", rec, caller, 0);
                a.demand(true);
                hammer.add(a);
            }
        }
        Clock.sleep(profile.name().equals("full") ? 8_000 : 4_000);
        hammer.forEach(ChaosAgent::close);
        long stopped = Clock.now();
        // the window resets one window (plus the hubs' settle margin) after the last call
        long lastCall = rec.calls(c -> c.keyId().equals("q1")).stream().mapToLong(Recorder.CallRec::at).max().orElse(stopped);
        long reset = lastCall + Duration.ofMillis(5_250).toNanos();
        long recoveredAt = -1;
        try (QuotaClient probe = client("main")) {
            Clock.sleep(Math.max(0, (reset - Clock.now()) / 1_000_000L));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (System.nanoTime() < deadline && recoveredAt < 0) {
                long asked = Clock.now();
                Optional<Lease> lease = tryAcquire(probe, "exhaust");
                if (lease.isPresent()) {
                    recoveredAt = Clock.now();
                    record(probe, lease.get(), asked, "main");
                } else {
                    Clock.sleep(50);
                }
            }
        }
        ScenarioResult r = check("quota-exhaustion", start, Clock.now(), List.of("exhaust"), List.of());
        List<Recorder.Miss> refusals = rec.misses(m -> m.pool().equals("exhaust") && m.kind().equals("refused") && m.at() >= start);
        r.details.put("refusals", refusals.size());
        r.details.put("refusalCodes", refusals.stream().map(Recorder.Miss::code).distinct().sorted().toList());
        long recoveryMs = recoveredAt < 0 ? -1 : Math.max(0, (recoveredAt - reset) / 1_000_000L);
        r.details.put("recoveryAfterResetMs", recoveryMs);
        try {
            ProviderLog plog = ProviderLog.fetch(providerUri, keys);
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

    /**
     * Primary m1 filled to 99 % (while m2, with a 2 s window, empties again), then leases must come
     * from the fresh secondary m2 at once (< 100 ms each), without the agent doing anything.
     */
    /** Agents filling the primary key of multi-key-failover, half on each side. */
    private static final int FILL_AGENTS = 8;

    private ScenarioResult multiKeyFailover() {
        long start = Clock.now();
        AtomicInteger primary = new AtomicInteger();
        List<Long> latencies = new ArrayList<>();
        List<String> probeKeys = new ArrayList<>();
        try (QuotaClient a = client("main"); QuotaClient b = client("edge")) {
            // The engine gives each lease the key with the most room, so m1 fills only while m2 is
            // full: agents on both sides ask faster than m2's 50/s (a provider call per lease included).
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            List<Thread> agents = new ArrayList<>();
            for (int t = 0; t < FILL_AGENTS; t++) {
                QuotaClient c = t % 2 == 0 ? a : b;
                Thread agent = new Thread(() -> {
                    while (primary.get() < 99 && System.nanoTime() < deadline) {
                        long asked = Clock.now();
                        Optional<Lease> lease = tryAcquire(c, "multi");
                        if (lease.isEmpty()) {
                            Clock.sleep(5);
                            continue;
                        }
                        if (lease.get().keyId().equals("m1")) {
                            primary.incrementAndGet();
                        }
                        record(c, lease.get(), asked, c == a ? "main" : "edge");
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
                    record(c, lease, asked, c == a ? "main" : "edge");
                } catch (QuotaHubException e) {
                    probeKeys.add("refused:" + e.code());
                }
            }
        }
        ScenarioResult r = check("multi-key-failover", start, Clock.now(), List.of("multi"), List.of());
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
        long slow = latencies.stream().filter(ms -> ms >= 100).count();
        long median = latencies.isEmpty() ? 0 : latencies.stream().sorted().toList().get(latencies.size() / 2);
        long slowestLease = latencies.stream().mapToLong(Long::longValue).max().orElse(0);
        r.details.put("leasesOver100ms", slow);
        if (median >= 100 || slowestLease >= 500) {
            r.failures.add("leases from the secondary not at once: " + latencies + " ms");
        }
        return r;
    }

    // ------------------------------------------------------------------ nemesis scenarios

    /** Load with demand shifting between sides, a fault, its heal, convergence, more load. */
    private ScenarioResult faultScenario(String name, FaultKind kind, String side) {
        long start = Clock.now();
        shiftDemand();
        Clock.sleep(profile.settleMillis());
        allDemand(true);
        Fault f = nemesis.inject(kind, side);
        Clock.sleep(profile.holdMillis());
        shiftDemand();
        healAndConverge(f);
        Clock.sleep(profile.settleMillis());
        allDemand(false);
        return check(name, start, Clock.now(), List.of("chaos"), List.of(f));
    }

    /** Agents crash holding leases (one with the provider already called): the hubs must reclaim them. */
    private ScenarioResult agentCrash() {
        long start = Clock.now();
        shiftDemand();
        Clock.sleep(profile.settleMillis());
        List<String> crashed = new ArrayList<>();
        List<QuotaClient> zombies = new ArrayList<>();
        try {
            for (String side : ChaosCluster.HUBS) {
                Options.Builder options = new Options.Builder().servers(cluster.agentServers(side)).noRandomize()
                        .maxReconnects(-1).errorListener(new io.nats.client.ErrorListener() { });
                if (cluster.agentCredentials() != null) {
                    NatsFiles.UserPassword up = NatsFiles.userPassword(cluster.agentCredentials());
                    options.userInfo(up.user().toCharArray(), up.password()).inboxPrefix(Subjects.agentInboxPrefix(up.user()));
                }
                Connection nc = Nats.connect(options.build());
                QuotaClient c = QuotaClient.builder().connection(nc).agentId("crasher-" + side + "-" + ids.incrementAndGet()).build();
                zombies.add(c);
                for (int i = 0; i < 3; i++) {
                    long asked = Clock.now();
                    Optional<Lease> lease = tryAcquire(c, "chaos");
                    if (lease.isPresent()) {
                        rec.lease(new Recorder.LeaseRec(c.agentId(), side, "chaos", lease.get().hubId(), lease.get().keyId(),
                                lease.get().leaseId(), asked, Clock.now()));
                        crashed.add(lease.get().leaseId());
                        if (i == 0) {
                            // the provider counts this call; the hub never hears how it went
                            ProviderCaller.Answer a = caller.call(lease.get().apiKey(), 1);
                            rec.call(new Recorder.CallRec(c.agentId(), lease.get().keyId(), Clock.now(), a.status()));
                        }
                    }
                }
                nc.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Fault f = nemesis.inject(FaultKind.AGENT_CRASH, null);
        f.note(crashed.size() + " leases abandoned");
        allDemand(true);
        // agent-dead-after is 3 s: the hubs must have reclaimed the leases after that, plus a margin
        Clock.sleep(Math.max(profile.holdMillis(), 5_000));
        healAndConverge(f);
        Clock.sleep(profile.settleMillis());
        allDemand(false);
        zombies.forEach(QuotaClient::close);
        ScenarioResult r = check("agent-crash", start, Clock.now(), List.of("chaos"), List.of(f));
        r.details.put("abandonedLeases", crashed.size());
        if (crashed.isEmpty()) {
            r.failures.add("the crashing agents got no lease to abandon");
        }
        Set<String> closed = ledgers.closedLeases();
        long unreclaimed = crashed.stream().filter(id -> !closed.contains(id)).count();
        r.details.put("unreclaimedLeases", unreclaimed);
        if (unreclaimed > 0) {
            r.failures.add(unreclaimed + " abandoned leases never expired in a ledger (the hubs did not reclaim them)");
        }
        return r;
    }

    /** One hub restarted with its wall clock 3 s ahead, load on both sides, then restarted with a true clock. */
    private ScenarioResult clockSkew() {
        String why = nemesis.unsupported(FaultKind.CLOCK_SKEW);
        if (why != null) {
            ScenarioResult r = new ScenarioResult("clock-skew", Clock.now(), Clock.now());
            r.skipped = true;
            r.details.put("skipped", why);
            log.accept("clock-skew skipped: " + why);
            return r;
        }
        return faultScenario("clock-skew", FaultKind.CLOCK_SKEW, "edge");
    }

    /**
     * Honest agents alone, then beside a hostile agent with every attack (or those named by the
     * system property {@code chaos.hostile.attacks}, e.g. {@code overflow,forge}). Leaves the
     * cluster as it found it: a hub that died is started again.
     */
    private ScenarioResult hostileAgent() {
        EnumSet<HostileAgent.Attack> attacks = HostileAgent.Attack.parse(System.getProperty("chaos.hostile.attacks"));
        long phase = profile.name().equals("full") ? 20_000 : 10_000;
        HostileAgentScenario scenario = new HostileAgentScenario(cluster, rec, caller, phase, random.nextLong(), attacks, log);
        HostileAgentScenario.Played played = scenario.play();
        ScenarioResult r = check("hostile-agent", played.start(), played.end(), List.of(HostileAgentScenario.POOL), List.of());
        scenario.judge(r, played, ledgers);
        if (ChaosCluster.HUBS.stream().allMatch(cluster::hubAlive)) {
            awaitAgreement("the end of hostile-agent");
        } else {
            log.accept("hostile-agent: a hub died; starting it again");
            recover();
        }
        return r;
    }

    /** Random faults (by the seed) with demand shifting between sides, one fault at a time. */
    private ScenarioResult randomMix() {
        long start = Clock.now();
        long end = System.nanoTime() + profile.mixMillis() * 1_000_000L;
        // the quick mix leaves out the slow and the known-failing faults (see Profile.quick)
        List<FaultKind> kinds = profile.name().equals("full")
                ? List.of(FaultKind.KILL_HUB, FaultKind.PAUSE_HUB, FaultKind.KILL_NATS, FaultKind.SPLIT_CUT,
                        FaultKind.SPLIT_BLACKHOLE, FaultKind.KILL_HUB, FaultKind.PAUSE_HUB, FaultKind.RESTART_BOTH)
                : List.of(FaultKind.KILL_HUB, FaultKind.PAUSE_HUB, FaultKind.SPLIT_CUT, FaultKind.SPLIT_BLACKHOLE, FaultKind.PAUSE_HUB);
        List<Fault> faults = new ArrayList<>();
        allDemand(true);
        while (System.nanoTime() < end) {
            shiftDemand();
            Clock.sleep(1_000 + random.nextInt(2_000));
            FaultKind kind = kinds.get(random.nextInt(kinds.size()));
            String side = kind.sided() ? ChaosCluster.HUBS.get(random.nextInt(2)) : null;
            Fault f = nemesis.inject(kind, side);
            faults.add(f);
            long hold = 2_000 + random.nextInt(3_000);
            long holdEnd = System.nanoTime() + hold * 1_000_000L;
            while (System.nanoTime() < holdEnd) {
                Clock.sleep(Math.min(1_000, Math.max(0, (holdEnd - System.nanoTime()) / 1_000_000L)));
                if (random.nextInt(3) == 0) {
                    shiftDemand();
                }
            }
            healAndConverge(f);
        }
        Clock.sleep(profile.settleMillis());
        allDemand(false);
        return check("random-mix", start, Clock.now(), List.of("chaos"), faults);
    }

    // ------------------------------------------------------------------ helpers

    private void healAndConverge(Fault f) {
        nemesis.heal(f);
        long deadline = System.nanoTime() + CONVERGENCE_WAIT.toNanos();
        long peersAt = -1;
        long at = -1;
        String firstReason = null;
        String lastReason = null;
        while (System.nanoTime() < deadline) {
            if (agreement.agree(cluster)) {
                at = Clock.now();
                break;
            }
            String why = agreement.lastDisagreement();
            lastReason = why;
            if (firstReason == null) {
                firstReason = why;
            }
            if (peersAt < 0 && why.startsWith("used differs")) {
                peersAt = Clock.now();
            }
            Clock.sleep(50);
        }
        f.converged(at);
        if (at >= 0 && peersAt < 0) {
            peersAt = at;
        }
        String note = (peersAt < 0 ? "peers never both CONNECTED" : "peers CONNECTED after "
                + Math.max(0, (peersAt - f.healedAt()) / 1_000_000L) + " ms") + (firstReason == null ? "" : "; first: " + firstReason)
                + (lastReason == null || lastReason.equals(firstReason) ? "" : "; last: " + lastReason);
        f.note(f.note().isEmpty() ? note : f.note() + "; " + note);
        if (at < 0) {
            log.accept("hubs did not agree within " + CONVERGENCE_WAIT + " after healing " + f.name() + ": "
                    + agreement.lastDisagreement());
        } else {
            log.accept("hubs agree " + f.convergenceMillis() + " ms after healing " + f.name() + " (" + note + ")");
        }
    }

    /** After a scenario crashed: heal the link, start whatever is down, wait until both hubs agree. */
    private void recover() {
        allDemand(false);
        try {
            cluster.healLink();
            for (String side : ChaosCluster.HUBS) {
                cluster.startNats(side);
                if (cluster.hubAlive(side)) {
                    cluster.resumeHub(side);
                } else {
                    cluster.restartHub(side);
                }
            }
            awaitAgreement("recovery");
        } catch (RuntimeException e) {
            log.accept("recovery failed: " + e);
        }
    }

    private void awaitAgreement(String what) {
        if (agreement.awaitAgreement(cluster, CONVERGENCE_WAIT) < 0) {
            log.accept("hubs do not agree at " + what + ": " + agreement.lastDisagreement());
        }
    }

    /** Demand moves: each agent of the chaos pool is on or off, at least one per side on. */
    private void shiftDemand() {
        for (String side : ChaosCluster.HUBS) {
            List<ChaosAgent> mine = chaosAgents.stream().filter(a -> a.side().equals(side)).toList();
            int on = 1 + random.nextInt(mine.size());
            for (int i = 0; i < mine.size(); i++) {
                mine.get(i).demand(i < on);
            }
        }
    }

    private void allDemand(boolean on) {
        chaosAgents.forEach(a -> a.demand(on));
    }

    private QuotaClient client(String side) {
        return cluster.agentClient(side).agentId(side + "-client-" + ids.incrementAndGet()).build();
    }

    /** The SDK learns the hubs' ids from their announcements: give it a moment before timing anything. */
    private static void warm(QuotaClient c, String pool) {
        Clock.sleep(300);
    }

    private static Optional<Lease> tryAcquire(QuotaClient c, String pool) {
        try {
            return c.tryAcquire(pool, 1);
        } catch (QuotaHubException e) {
            return Optional.empty();
        }
    }

    /** Records a lease, calls the provider with its key and settles it. */
    private void record(QuotaClient c, Lease lease, long asked, String side) {
        rec.lease(new Recorder.LeaseRec(c.agentId(), side, lease.pool(), lease.hubId(), lease.keyId(), lease.leaseId(), asked, Clock.now()));
        ProviderCaller.Answer a = caller.call(lease.apiKey(), 1);
        rec.call(new Recorder.CallRec(c.agentId(), lease.keyId(), Clock.now(), a.status()));
        try {
            switch (a.status()) {
                case 200 -> lease.complete(1);
                case 429 -> lease.rateLimited(Duration.ofSeconds(a.retryAfterSeconds()));
                default -> lease.failed("http " + a.status());
            }
        } catch (QuotaHubException e) {
            rec.miss(new Recorder.Miss(c.agentId(), lease.pool(), Clock.now(), "settle", e.code(), 0, 0));
        }
    }

    // ------------------------------------------------------------------ the checker

    /** Judges one scenario from the agents' record, the provider's record and the ledgers. */
    private ScenarioResult check(String name, long start, long end, List<String> pools, List<Fault> faults) {
        ScenarioResult r = new ScenarioResult(name, start, end);
        faults.forEach(f -> r.faults.add(f.name()));
        List<String> keyIds = pools.stream().flatMap(p -> POOL_KEYS.get(p).stream()).toList();
        ProviderLog plog;
        try {
            plog = ProviderLog.fetch(providerUri, keys);
        } catch (IOException e) {
            r.failures.add("provider log unavailable: " + e.getMessage());
            return r;
        }
        // 1. the provider: zero 429s, no window over its limit
        r.provider429 = plog.rateLimited(start, end);
        if (r.provider429 > 0) {
            r.failures.add(r.provider429 + " provider 429s");
        }
        List<ProviderLog.Fill> fills = plog.fills(keyIds, start, end);
        ProviderLog.Fill worst = fills.stream().max((x, y) -> Double.compare(x.ratio(), y.ratio())).orElse(null);
        if (worst != null) {
            r.maxFill = worst.text();
            r.maxFillRatio = worst.ratio();
        }
        fills.stream().filter(fl -> fl.max() > fl.capacity()).forEach(fl -> r.failures.add("window over its limit: " + fl.text()));
        // 2. the ledgers: every lease an agent got is in one
        List<Recorder.LeaseRec> leases = rec.leases(l -> pools.contains(l.pool()) && l.at() >= start && l.at() <= end);
        r.leases = leases.size();
        try {
            for (String hub : ChaosCluster.HUBS) {
                ledgers.scan(hub, cluster.natsUrl(hub));
            }
            List<String> lost = leases.stream().filter(l -> !ledgers.hasGrant(l.leaseId())).map(Recorder.LeaseRec::leaseId).toList();
            r.lost = lost.size();
            if (!lost.isEmpty()) {
                r.failures.add(lost.size() + " leases in no ledger, e.g. " + lost.subList(0, Math.min(5, lost.size())));
            }
        } catch (IOException e) {
            r.failures.add("ledgers unreadable: " + e.getMessage());
            r.lost = -1;
        }
        // 3. failover gaps while each fault was in force
        long worstUnbounded = -1;
        int nth = 0;
        for (Fault f : faults) {
            String tag = f.name() + (faults.size() > 1 ? " #" + (++nth) : "");
            Gap g = worstGap(plog, "chaos", f.injectedAt(), f.healStartedAt() < 0 ? end : f.healStartedAt());
            Gap back = worstGap(plog, "chaos", f.healStartedAt() < 0 ? end : f.healStartedAt(), Math.min(end,
                    (f.convergedAt() < 0 ? f.healedAt() : f.convergedAt()) + Duration.ofSeconds(2).toNanos()));
            r.details.put("gap " + tag, g.millis + " ms" + (g.agent == null ? "" : " (" + g.agent + ")"));
            r.details.put("failbackGap " + tag, back.millis + " ms" + (back.agent == null ? "" : " (" + back.agent + ")"));
            if (!f.note().isEmpty()) {
                r.details.put("note " + tag, f.note());
            }
            long bound = f.kind().gapBoundMillis();
            if (bound == 0) {
                worstUnbounded = Math.max(worstUnbounded, g.millis);
            } else {
                if (g.millis >= r.worstGapMs) { // the table shows the worst gap beside its own fault's bound
                    r.worstGapMs = g.millis;
                    r.gapBoundMs = bound;
                }
                if (g.millis > bound) {
                    r.failures.add("failover gap " + g.millis + " ms after " + f.name() + " (bound " + bound + " ms, " + g.agent + ")");
                }
            }
            long conv = f.convergenceMillis();
            r.convergenceMs = Math.max(r.convergenceMs, conv);
            if (conv < 0) {
                r.failures.add("hubs did not agree within " + CONVERGENCE_WAIT.toSeconds() + " s after healing " + f.name());
            } else if (conv > CONVERGENCE_BOUND_MS) {
                r.failures.add("convergence " + conv + " ms after healing " + f.name() + " (bound " + CONVERGENCE_BOUND_MS + " ms)");
            }
        }
        if (worstUnbounded >= 0) {
            // outages (both hubs restarted, a hub restarted with a skewed clock): reported, not bounded
            r.details.put("worstGapInUnboundedFaultsMs", worstUnbounded);
            if (r.worstGapMs < 0) {
                r.worstGapMs = worstUnbounded;
            }
        }
        // 4. goodput: accepted calls as a share of the capacity of the scenario's keys over its span
        double capacity = 0;
        for (ProviderKey k : keys) {
            if (keyIds.contains(k.id())) {
                capacity += k.limits().stream().filter(l -> l.kind() == io.quotahub.chaos.provider.Limit.Kind.REQUESTS)
                        .mapToDouble(l -> (double) l.amount() * (end - start) / l.per().toNanos()).min().orElse(0);
            }
        }
        long ok = plog.count(keyIds, start, end, 200);
        r.goodput = capacity == 0 ? 0 : Math.min(1.0, ok / capacity);
        // 5. no agent saw a hub error (docs/chaos.md, check 6): a fault may delay an acquire (the gap) or leave no hub to
        // ask (unavailable), but an error such as FENCED reaching the caller is the SDK's bug
        Map<String, Long> errors = rec.misses(m -> pools.contains(m.pool()) && m.kind().equals("error")
                        && m.at() >= start && m.at() <= end).stream()
                .collect(Collectors.groupingBy(Recorder.Miss::code, TreeMap::new, Collectors.counting()));
        if (!errors.isEmpty()) {
            r.details.put("acquireErrors", errors.toString());
            r.failures.add("agents' acquires ended in hub errors " + errors);
        }
        return r;
    }

    private record Gap(long millis, String agent) {
    }

    /**
     * The longest time an agent of the pool wanted a lease and had none, over spans overlapping
     * [from, to], leaving out spans in which the agent was refused while the provider had no
     * room on any key of the pool (no capacity existed).
     */
    private Gap worstGap(ProviderLog plog, String pool, long from, long to) {
        List<String> keyIds = POOL_KEYS.get(pool);
        Gap worst = new Gap(0, null);
        for (Recorder.Want w : rec.wants(pool, from, to)) {
            long len = (w.to() - w.from()) / 1_000_000L;
            if (len <= worst.millis) {
                continue;
            }
            boolean noCapacity = rec.misses(m -> m.agent().equals(w.agent()) && m.kind().equals("refused")
                    && m.at() >= w.from() && m.at() <= w.to()).stream().anyMatch(m -> !plog.hadRoom(keyIds, m.at()));
            if (!noCapacity) {
                worst = new Gap(len, w.agent() + (w.ended() ? "" : ", never served") + missesDuring(w));
            }
        }
        return worst;
    }

    /** What the agent was told during a want, e.g. ": refused BUDGET_EXHAUSTED ×2" (why the gap was long). */
    private String missesDuring(Recorder.Want w) {
        Map<String, Long> seen = rec.misses(m -> m.agent().equals(w.agent()) && m.at() >= w.from() && m.at() <= w.to())
                .stream().collect(Collectors.groupingBy(m -> m.kind() + " " + m.code(), TreeMap::new, Collectors.counting()));
        StringBuilder sb = new StringBuilder();
        seen.forEach((what, n) -> sb.append(sb.length() == 0 ? ": " : ", ").append(what).append(" ×").append(n));
        return sb.toString();
    }

    @Override
    public void close() {
        chaosAgents.forEach(ChaosAgent::close);
        provider.close();
    }

    /** The provider's address (for reports). */
    public URI providerUri() {
        return providerUri;
    }
}
