package io.quotahub.chaos.suite;

import io.quotahub.chaos.checker.HonestGoodput;
import io.quotahub.chaos.checker.LedgerScan;
import io.quotahub.chaos.checker.SettleIntegrity;
import io.quotahub.chaos.checker.Uptime;
import io.quotahub.chaos.checker.UptimeWatch;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.hostile.HostileAgent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@code hostile-agent} scenario: honest agents on both machines (the SDK, the provider, real
 * token counts) alone for a phase, then for a phase of the same length beside one
 * {@link HostileAgent} running every attack at once. The hubs must stay up throughout, keep every
 * limit, take none of its overflowing or forged settles, let no forged message change an honest
 * lease, and leave the honest agents at least 80 % of the calls they completed alone.
 */
final class HostileAgentScenario {

    /** The pool under attack (its policy is in {@link Suite#POOLS}). */
    static final String POOL = "guarded";
    static final String HOSTILE_ID = "hostile-1";
    /** The pool's max-tokens-per-call, and one key's token limit. */
    static final long CALL_TOKENS = 250;
    static final long KEY_TOKENS = 3_000;
    /** What an honest call reserves; it uses 50–100 tokens. */
    static final long HONEST_ESTIMATE = 100;
    static final double MIN_GOODPUT_RATIO = 0.8;
    static final Duration SAMPLE_EVERY = Duration.ofMillis(250);
    static final Duration SAMPLE_TIMEOUT = Duration.ofMillis(1_500);
    /** Longest silence of a hub's readiness endpoint that still counts as up (one slow answer on a loaded host). */
    static final long SILENCE_BOUND_MS = 2_000;
    /** A key's window (5 s) plus the hubs' margin: after it, the attack phase starts on empty windows like the baseline. */
    private static final long DRAIN_MS = 5_500;
    /** Each honest call holds its lease this long (so a forger finds it open), then the agent thinks. */
    private static final long HONEST_CALL_MS = 100;
    private static final long HONEST_THINK_MS = 50;

    /** What happened, for the checker. */
    record Played(long start, long baselineFrom, long baselineTo, long attackFrom, long attackTo, long end,
            List<String> honestAgents, Map<String, String> tally, Map<String, Long> acceptedSettles, int hostileHeld,
            List<Uptime.Sample> samples) {
    }

    private final ChaosCluster cluster;
    private final Recorder rec;
    private final ProviderCaller caller;
    private final long phaseMillis;
    private final long seed;
    private final EnumSet<HostileAgent.Attack> attacks;
    private final Consumer<String> log;

    HostileAgentScenario(ChaosCluster cluster, Recorder rec, ProviderCaller caller, long phaseMillis, long seed,
            EnumSet<HostileAgent.Attack> attacks, Consumer<String> log) {
        this.cluster = cluster;
        this.rec = rec;
        this.caller = caller;
        this.phaseMillis = phaseMillis;
        this.seed = seed;
        this.attacks = attacks;
        this.log = log;
    }

    Played play() {
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
                log.accept("hostile-agent: baseline done, " + honestCalls(Set.copyOf(honestIds()), baselineFrom, baselineTo) + " honest calls");
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
                log.accept("hostile-agent: attack done, " + honestCalls(Set.copyOf(honestIds()), attackFrom, attackTo) + " honest calls, the hostile agent held "
                        + held + " leases");
                honest.forEach(ChaosAgent::close);
                honest.clear();
                return new Played(start, baselineFrom, baselineTo, attackFrom, attackTo, Clock.now(),
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

    /**
     * Adds this scenario's own judgement to what {@code Suite.check} found (429s, windows, lost
     * leases, hub errors): hubs up throughout, honest goodput, honest leases closed as their
     * holders settled them, and what the hostile agent got back.
     */
    void judge(ScenarioResult r, Played p, LedgerScan ledgers) {
        r.faults.add("hostile agent");
        Set<String> honest = Set.copyOf(p.honestAgents());
        r.details.put("attacks", attacks.stream().map(Enum::name).toList());

        Uptime.Verdict up = Uptime.judge(p.samples(), ChaosCluster.HUBS, p.start(), SILENCE_BOUND_MS);
        up.summary().forEach((hub, text) -> r.details.put("readiness " + hub, text));
        r.failures.addAll(up.failures());

        long alone = honestCalls(honest, p.baselineFrom(), p.baselineTo());
        long attacked = honestCalls(honest, p.attackFrom(), p.attackTo());
        HonestGoodput goodput = new HonestGoodput(alone, attacked, MIN_GOODPUT_RATIO);
        r.details.put("honestCallsAlone", alone);
        r.details.put("honestCallsUnderAttack", attacked);
        r.details.put("honestGoodputRatio", Math.round(goodput.ratio() * 1000) / 1000.0);
        r.notes.add(goodput.summary());
        if (goodput.failure() != null) {
            r.failures.add(goodput.failure());
        }

        // no hub to ask, or a settle that failed: the attack reached the honest agents
        List<Recorder.Miss> unavailable = rec.misses(m -> honest.contains(m.agent()) && m.kind().equals("unavailable")
                && m.at() >= p.start() && m.at() <= p.end());
        if (!unavailable.isEmpty()) {
            r.failures.add(unavailable.size() + " honest acquires found no hub answering");
        }
        List<Recorder.Miss> settleErrors = rec.misses(m -> honest.contains(m.agent()) && m.kind().equals("settle")
                && m.at() >= p.start() && m.at() <= p.end());
        if (!settleErrors.isEmpty()) {
            r.failures.add(settleErrors.size() + " honest settles failed: " + settleErrors.stream().map(Recorder.Miss::code).distinct().toList());
        }

        Map<String, SettleIntegrity.Closing> sent = new HashMap<>();
        rec.settles(s -> honest.contains(s.agent()) && s.at() >= p.start() && s.at() <= p.end())
                .forEach(s -> sent.put(s.leaseId(), new SettleIntegrity.Closing(s.outcome(), s.tokens(), 0)));
        Map<String, SettleIntegrity.Closing> closings = ledgers.closings();
        List<String> changed = SettleIntegrity.mismatches(sent, closings);
        long closedInLedger = sent.keySet().stream().filter(closings::containsKey).count();
        r.details.put("honestSettles", sent.size() + " sent, " + closedInLedger + " closed in a ledger, " + changed.size()
                + " closed otherwise");
        if (!changed.isEmpty()) {
            r.failures.add(changed.size() + " of " + sent.size() + " honest leases were closed in a ledger otherwise than their holder"
                    + " settled them (a forged settle or heartbeat took effect), e.g. " + changed.subList(0, Math.min(3, changed.size())));
        }

        if (!p.acceptedSettles().isEmpty()) {
            r.failures.add("the hubs took " + p.acceptedSettles().values().stream().mapToLong(Long::longValue).sum()
                    + " of the hostile agent's overflowing or forged settles: " + p.acceptedSettles());
        }
        r.details.put("hostileHeldAtEnd", p.hostileHeld());
        p.tally().forEach((attack, answers) -> r.details.put("hostile " + attack, answers));
    }

    private long honestCalls(Set<String> honest, long from, long to) {
        return rec.calls(c -> honest.contains(c.agent()) && c.status() == 200 && c.at() >= from && c.at() <= to).size();
    }
}
