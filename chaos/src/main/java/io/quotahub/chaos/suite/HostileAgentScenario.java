package io.quotahub.chaos.suite;

import io.quotahub.chaos.checker.HostileAgentCheck;
import io.quotahub.chaos.checker.UptimeWatch;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.hostile.HostileAgent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@code hostile-agent} scenario: honest agents on both machines (the SDK, the provider, real
 * token counts) alone for a phase, then for a phase of the same length beside one
 * {@link HostileAgent} running every attack at once (or those named by the system property
 * {@code chaos.hostile.attacks}, e.g. {@code overflow,forge}). {@link HostileAgentCheck} judges it:
 * the hubs must stay up throughout, keep every limit, take none of its overflowing or forged
 * settles, let no forged message change an honest lease, and leave the honest agents at least
 * 80 % of the calls they completed alone. Leaves the cluster as it found it: a hub that died is
 * started again.
 */
final class HostileAgentScenario implements Scenario {

    /** The pool under attack (its policy is in {@link Suite#POOLS}). */
    static final String POOL = "guarded";
    static final String HOSTILE_ID = "hostile-1";
    /** The pool's max-tokens-per-call, and one key's token limit. */
    static final long CALL_TOKENS = 250;
    static final long KEY_TOKENS = 3_000;
    /** What an honest call reserves; it uses 50–100 tokens. */
    static final long HONEST_ESTIMATE = 100;
    static final Duration SAMPLE_EVERY = Duration.ofMillis(250);
    static final Duration SAMPLE_TIMEOUT = Duration.ofMillis(1_500);
    /** A key's window (5 s) plus the hubs' margin: after it, the attack phase starts on empty windows like the baseline. */
    private static final long DRAIN_MS = 5_500;
    /** Each honest call holds its lease this long (so a forger finds it open), then the agent thinks. */
    private static final long HONEST_CALL_MS = 100;
    private static final long HONEST_THINK_MS = 50;

    @Override
    public String name() {
        return "hostile-agent";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        EnumSet<HostileAgent.Attack> attacks = HostileAgent.Attack.parse(System.getProperty("chaos.hostile.attacks"));
        long phase = run.full() ? 20_000 : 10_000;
        HostileAgentCheck.Played played = play(run.cluster, run.rec, run.caller, phase, run.random.nextLong(), attacks, run.log);
        ScenarioResult r = run.check("hostile-agent", played.start(), played.end(), List.of(POOL), List.of());
        HostileAgentCheck.judge(r, played, attacks, run.rec, run.checker.ledgers());
        if (ChaosCluster.HUBS.stream().allMatch(run.cluster::hubAlive)) {
            run.awaitAgreement("the end of hostile-agent");
        } else {
            run.log.accept("hostile-agent: a hub died; starting it again");
            run.recover();
        }
        return r;
    }

    private static HostileAgentCheck.Played play(ChaosCluster cluster, Recorder rec, ProviderCaller caller, long phaseMillis, long seed,
            EnumSet<HostileAgent.Attack> attacks, Consumer<String> log) {
        long start = Clock.now();
        List<ChaosAgent> honest = new ArrayList<>();
        HostileAgent hostile = null;
        Random tokens = new Random(seed);
        try (UptimeWatch watch = new UptimeWatch(cluster, SAMPLE_EVERY, SAMPLE_TIMEOUT)) {
            try {
                for (String side : ChaosCluster.HUBS) {
                    for (int i = 1; i <= 2; i++) {
                        honest.add(new ChaosAgent("honest-" + side + "-" + i, side, cluster.agentClient(side), POOL, rec, caller,
                                HONEST_THINK_MS, HONEST_ESTIMATE, () -> 50 + nextInt(tokens, 51), HONEST_CALL_MS));
                    }
                }
                Clock.sleep(1_000); // the SDK learns the hubs from their announcements
                long baselineFrom = Clock.now();
                demand(honest, true);
                Clock.sleep(phaseMillis);
                demand(honest, false);
                long baselineTo = Clock.now();
                log.accept("hostile-agent: baseline done, " + HostileAgentCheck.honestCalls(rec, Set.copyOf(honestIds()), baselineFrom, baselineTo) + " honest calls");
                Map<String, String> urls = new LinkedHashMap<>();
                ChaosCluster.HUBS.forEach(h -> urls.put(h, cluster.hubUrl(h)));
                hostile = new HostileAgent(HOSTILE_ID, POOL, CALL_TOKENS, KEY_TOKENS, Duration.ofMillis(DRAIN_MS),
                        cluster.agentServers("main"), cluster.agentCredentials(), urls, cluster.token("AGENT"), attacks, seed, log);
                Clock.sleep(Math.max(0, DRAIN_MS - (Clock.now() - baselineTo) / 1_000_000L));
                hostile.start();
                long attackFrom = Clock.now();
                demand(honest, true);
                Clock.sleep(phaseMillis);
                demand(honest, false);
                long attackTo = Clock.now();
                int held = hostile.held();
                hostile.close();
                log.accept("hostile-agent: attack done, " + HostileAgentCheck.honestCalls(rec, Set.copyOf(honestIds()), attackFrom, attackTo) + " honest calls, the hostile agent held "
                        + held + " leases");
                honest.forEach(ChaosAgent::close);
                honest.clear();
                return new HostileAgentCheck.Played(start, baselineFrom, baselineTo, attackFrom, attackTo, Clock.now(),
                        honestIds(), hostile.tally().summary(), hostile.acceptedSettles(), held, watch.samples());
            } catch (IOException e) {
                throw new UncheckedIOException("the hostile agent could not connect", e);
            } finally {
                honest.forEach(ChaosAgent::close);
                if (hostile != null) {
                    hostile.close();
                }
            }
        }
    }

    private static long nextInt(Random r, int bound) {
        synchronized (r) {
            return r.nextInt(bound);
        }
    }

    private static void demand(List<ChaosAgent> agents, boolean on) {
        agents.forEach(a -> a.demand(on));
    }

    private static List<String> honestIds() {
        List<String> ids = new ArrayList<>();
        ChaosCluster.HUBS.forEach(side -> {
            ids.add("honest-" + side + "-1");
            ids.add("honest-" + side + "-2");
        });
        return ids;
    }
}
