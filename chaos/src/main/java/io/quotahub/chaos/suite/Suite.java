package io.quotahub.chaos.suite;

import io.quotahub.chaos.checker.LedgerScan;
import io.quotahub.chaos.checker.ScenarioChecker;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.nemesis.Nemesis;
import io.quotahub.chaos.provider.HubConfigKeys;
import io.quotahub.chaos.provider.ProviderKey;
import io.quotahub.chaos.provider.ProviderServer;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The chaos suite on one running cluster: the pools of the run, the workload's agents (on both
 * sides, demand shifting between them), the nemesis, and the run loop over the profile's
 * scenarios (one {@link Scenario} class each, see {@link Scenarios}). The checks live in
 * {@code io.quotahub.chaos.checker}: {@link ScenarioChecker} judges each scenario from what the
 * agents and the provider saw (plus the hubs' ledgers, read straight from JetStream, and whether
 * the two hubs agree after a heal).
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
                outside:
                  keys:
                    - id: x1
                      secret-env: QH_CHAOS_X1
                      limits:
                        - { requests: 20, per: 5s }
                blocks:
                  blocks: { max-calls: 20, expiry: 2s }
                  keys:
                    - id: bk1
                      secret-env: QH_CHAOS_BK1
                      limits:
                        - { requests: 200, per: 5s }
                reload:
                  keys:
                    - id: r1
                      secret-env: QH_CHAOS_R1
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
            "QH_CHAOS_M2", "QH_CHAOS_C1", "QH_CHAOS_C2", "QH_CHAOS_G1", "QH_CHAOS_G2", "QH_CHAOS_X1", "QH_CHAOS_BK1",
            "QH_CHAOS_R1", "QH_CHAOS_R2");
    static final Map<String, List<String>> POOL_KEYS = Map.of("burst", List.of("b1"), "steady", List.of("s1"),
            "exhaust", List.of("q1"), "multi", List.of("m1", "m2"), "chaos", List.of("c1", "c2"),
            HostileAgentScenario.POOL, List.of("g1", "g2"), ExternalUseScenario.POOL, List.of(ExternalUseScenario.KEY),
            BlocksScenario.POOL, List.of(BlocksScenario.KEY), ReloadUnderFaultsScenario.POOL, ReloadUnderFaultsScenario.KEYS);

    private final Consumer<String> log;
    private final Recorder rec = new Recorder();
    private final Nemesis nemesis;
    private final ProviderServer provider;
    private final URI providerUri;
    private final List<ChaosAgent> chaosAgents = new ArrayList<>();
    private final SuiteRun run;

    /**
     * @param projectRoot the project's root: {@code cross-language} runs the agent scripts under
     *                    {@code chaos/agents} with the clients under {@code clients/} from there
     */
    public Suite(ChaosCluster cluster, Path projectRoot, Profile profile, long seed, Consumer<String> log) {
        this.log = log;
        this.nemesis = new Nemesis(cluster, log);
        Map<String, String> secrets = cluster.secrets();
        // the provider also knows the keys a reload adds later (the operator's account has them already)
        Object yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load("quotahub:\n" + POOLS
                + ReloadUnderFaultsScenario.PROVIDER_ONLY_KEYS);
        List<ProviderKey> keys = HubConfigKeys.parse(yaml, secrets::get, w -> log.accept("provider: " + w));
        try {
            this.provider = ProviderServer.start(keys, "127.0.0.1", 0, Duration.ofMillis(2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.providerUri = URI.create("http://127.0.0.1:" + provider.port());
        ProviderCaller caller = new ProviderCaller(providerUri);
        for (String side : ChaosCluster.HUBS) {
            for (int i = 1; i <= 2; i++) {
                chaosAgents.add(new ChaosAgent(side + "-agent-" + i, side, cluster.agentClient(side), "chaos", rec, caller, 400));
            }
        }
        ScenarioChecker checker = new ScenarioChecker(providerUri, keys, POOL_KEYS, rec, new LedgerScan(), cluster);
        this.run = new SuiteRun(cluster, projectRoot, profile, new Random(seed), log, rec, nemesis, caller, checker, chaosAgents);
        run.provider = provider.limiter();
    }

    public Nemesis nemesis() {
        return nemesis;
    }

    public Recorder recorder() {
        return rec;
    }

    /** Runs every scenario of the profile; one result each, in order. A scenario that crashes fails, and the cluster is recovered. */
    public List<ScenarioResult> run() {
        run.awaitAgreement("start");
        List<ScenarioResult> results = new ArrayList<>();
        List<String> scenarios = run.profile.scenarios();
        long started = Clock.now();
        for (String name : scenarios) {
            // the progress line: which scenario of how many, how long the run has taken, how it goes so far
            long failed = results.stream().filter(done -> !done.passed()).count();
            log.accept(String.format("%d/%d %s … %d s elapsed%s", results.size() + 1, scenarios.size(), name,
                    (Clock.now() - started) / 1_000_000_000L, failed == 0 ? "" : ", " + failed + " failed so far"));
            ScenarioResult r;
            try {
                r = Scenarios.named(name).play(run);
            } catch (RuntimeException e) {
                r = new ScenarioResult(name, Clock.now(), Clock.now());
                r.failures.add("scenario crashed: " + e);
                log.accept("scenario " + name + " crashed: " + e);
                run.recover();
            }
            log.accept("scenario " + name + ": " + r.verdict() + (r.failures.isEmpty() ? "" : " " + r.failures));
            results.add(r);
        }
        run.allDemand(false);
        return results;
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
