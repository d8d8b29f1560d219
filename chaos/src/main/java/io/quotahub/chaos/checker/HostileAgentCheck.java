package io.quotahub.chaos.checker;

import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.hostile.HostileAgent;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What {@code hostile-agent} must hold besides the checks of every scenario (429s, windows, lost
 * leases, hub errors; docs/chaos.md, "The hostile agent"): both hubs up throughout, honest goodput
 * beside the hostile agent at least 80 % of alone, honest leases closed in the ledgers as their
 * holders settled them, no honest acquire without a hub and no failed honest settle, and none of
 * the hostile agent's overflowing or forged settles taken.
 */
public final class HostileAgentCheck {

    public static final double MIN_GOODPUT_RATIO = 0.8;
    /** Longest silence of a hub's readiness endpoint that still counts as up (one slow answer on a loaded host). */
    public static final long SILENCE_BOUND_MS = 2_000;

    /** What happened in the scenario: its phases, the honest agents, what the hostile agent got, the readiness samples. */
    public record Played(long start, long baselineFrom, long baselineTo, long attackFrom, long attackTo, long end,
            List<String> honestAgents, Map<String, String> tally, Map<String, Long> acceptedSettles, int hostileHeld,
            List<Uptime.Sample> samples) {
    }

    private HostileAgentCheck() {
    }

    /** The calls of the honest agents the provider accepted in [from, to]. */
    public static long honestCalls(Recorder rec, Set<String> honest, long from, long to) {
        return rec.calls(c -> honest.contains(c.agent()) && c.status() == 200 && c.at() >= from && c.at() <= to).size();
    }

    /**
     * One phase as the honest agents lived it: calls per machine, refusals by code, and the longest
     * pause between two of their calls, e.g. "calls main 79, edge 77; refused QUOTA_EXHAUSTED ×9;
     * longest pause between calls 412 ms".
     */
    static String phase(Recorder rec, Set<String> honest, long from, long to) {
        StringBuilder text = new StringBuilder("calls");
        for (String side : ChaosCluster.HUBS) {
            Set<String> agents = honest.stream().filter(a -> a.contains("-" + side + "-")).collect(Collectors.toSet());
            text.append(side.equals(ChaosCluster.HUBS.get(0)) ? " " : ", ").append(side).append(' ')
                    .append(honestCalls(rec, agents, from, to));
        }
        Map<String, Long> refused = new TreeMap<>(rec.misses(m -> honest.contains(m.agent()) && m.at() >= from && m.at() <= to)
                .stream().collect(Collectors.groupingBy(m -> m.kind() + " " + m.code(), Collectors.counting())));
        text.append(refused.isEmpty() ? "; no misses" : "; " + refused.entrySet().stream()
                .map(e -> e.getKey() + " ×" + e.getValue()).collect(Collectors.joining(", ")));
        List<Long> at = rec.calls(c -> honest.contains(c.agent()) && c.at() >= from && c.at() <= to).stream()
                .map(Recorder.CallRec::at).sorted().toList();
        long longest = 0;
        long previous = from;
        for (long t : at) {
            longest = Math.max(longest, t - previous);
            previous = t;
        }
        longest = Math.max(longest, to - previous);
        return text.append("; longest pause between calls ").append(longest / 1_000_000L).append(" ms").toString();
    }

    /** Adds the scenario's own judgement to what {@link ScenarioChecker#check} found. */
    public static void judge(ScenarioResult r, Played p, EnumSet<HostileAgent.Attack> attacks, Recorder rec, LedgerScan ledgers) {
        r.faults.add("hostile agent");
        Set<String> honest = Set.copyOf(p.honestAgents());
        r.details.put("attacks", attacks.stream().map(Enum::name).toList());

        Uptime.Verdict up = Uptime.judge(p.samples(), ChaosCluster.HUBS, p.start(), SILENCE_BOUND_MS);
        up.summary().forEach((hub, text) -> r.details.put("readiness " + hub, text));
        r.failures.addAll(up.failures());

        long alone = honestCalls(rec, honest, p.baselineFrom(), p.baselineTo());
        long attacked = honestCalls(rec, honest, p.attackFrom(), p.attackTo());
        HonestGoodput goodput = new HonestGoodput(alone, attacked, MIN_GOODPUT_RATIO);
        r.details.put("honestCallsAlone", alone);
        r.details.put("honestCallsUnderAttack", attacked);
        // what the honest agents met in each phase, so that a fall in goodput explains itself
        String aloneText = phase(rec, honest, p.baselineFrom(), p.baselineTo());
        String attackedText = phase(rec, honest, p.attackFrom(), p.attackTo());
        r.details.put("honest alone", aloneText);
        r.details.put("honest under attack", attackedText);
        r.notes.add("honest agents alone: " + aloneText);
        r.notes.add("honest agents under attack: " + attackedText);
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
}
