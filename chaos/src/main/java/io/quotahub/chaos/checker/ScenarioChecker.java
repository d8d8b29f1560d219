package io.quotahub.chaos.checker;

import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.provider.Limit;
import io.quotahub.chaos.provider.ProviderKey;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The checks every scenario gets (docs/chaos.md, "The checker"), judged from the agents' record,
 * the provider's record and the hubs' ledgers over the scenario's own time span: provider 429s and
 * windows over their limit, leases in no ledger, failover and failback gaps against each fault's
 * bound, convergence after each heal, goodput, and hub errors that reached an agent.
 */
public final class ScenarioChecker {

    /** How long after a heal both hubs must agree. */
    public static final long CONVERGENCE_BOUND_MS = 10_000;
    /** How long the suite waits for agreement after a heal before it gives up. */
    public static final Duration CONVERGENCE_WAIT = Duration.ofSeconds(30);

    private final URI providerUri;
    private final List<ProviderKey> keys;
    private final Map<String, List<String>> poolKeys;
    private final Recorder rec;
    private final LedgerScan ledgers;
    private final ChaosCluster cluster;

    /**
     * @param poolKeys the key ids of each pool of the run
     */
    public ScenarioChecker(URI providerUri, List<ProviderKey> keys, Map<String, List<String>> poolKeys, Recorder rec,
            LedgerScan ledgers, ChaosCluster cluster) {
        this.providerUri = providerUri;
        this.keys = keys;
        this.poolKeys = poolKeys;
        this.rec = rec;
        this.ledgers = ledgers;
        this.cluster = cluster;
    }

    /** The provider's record as it stands now. */
    public ProviderLog providerLog() throws IOException {
        return ProviderLog.fetch(providerUri, keys);
    }

    /** The hubs' ledgers, read up to now by the last {@link #check}. */
    public LedgerScan ledgers() {
        return ledgers;
    }

    /** Judges one scenario from the agents' record, the provider's record and the ledgers. */
    public ScenarioResult check(String name, long start, long end, List<String> pools, List<Fault> faults) {
        ScenarioResult r = new ScenarioResult(name, start, end);
        faults.forEach(f -> r.faults.add(f.name()));
        List<String> keyIds = pools.stream().flatMap(p -> poolKeys.get(p).stream()).toList();
        ProviderLog plog;
        try {
            plog = providerLog();
        } catch (IOException e) {
            r.failures.add("provider log unavailable: " + e.getMessage());
            return r;
        }
        checkProvider(r, plog, keyIds, start, end);
        checkLedgers(r, pools, start, end);
        checkFaults(r, plog, faults, end);
        r.goodput = goodput(plog, keyIds, start, end);
        checkHubErrors(r, pools, start, end);
        return r;
    }

    /** 1. the provider: zero 429s, no window over its limit. */
    private static void checkProvider(ScenarioResult r, ProviderLog plog, List<String> keyIds, long start, long end) {
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
    }

    /** 2. the ledgers: every lease an agent got is in one. */
    private void checkLedgers(ScenarioResult r, List<String> pools, long start, long end) {
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
    }

    /** 3. failover gaps while each fault was in force, failback gaps, and convergence after each heal. */
    void checkFaults(ScenarioResult r, ProviderLog plog, List<Fault> faults, long end) {
        long worstUnbounded = -1;
        int nth = 0;
        for (Fault f : faults) {
            String tag = f.name() + (faults.size() > 1 ? " #" + (++nth) : "");
            long healStart = f.healStartedAt() < 0 ? end : f.healStartedAt();
            boolean shares = f.kind().hidesAPeersLedger();
            Gap g = worstGap(plog, "chaos", f.injectedAt(), healStart, agent -> true, shares ? Wants.NOT_SHARE_BOUND : Wants.ALL);
            if (shares) {
                checkShareBoundWaits(r, plog, f, tag, healStart);
            }
            Gap back = worstGap(plog, "chaos", healStart, Math.min(end,
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
    }

    /**
     * 3b. While a fault hides a peer's ledger, a hub serves from its own share of each budget only
     * (it cannot fence what it cannot reach): an agent refused BUDGET_EXHAUSTED then waits for that
     * share to free as the window slides, not for a failover. Such waits are bounded by the pool's
     * longest request window + 1 s instead of the failover bound.
     */
    private void checkShareBoundWaits(ScenarioResult r, ProviderLog plog, Fault f, String tag, long healStart) {
        Gap wait = worstGap(plog, "chaos", f.injectedAt(), healStart, agent -> true, Wants.SHARE_BOUND);
        long bound = longestWindowMillis("chaos") + 1000;
        r.details.put("shareBoundWait " + tag, wait.millis + " ms" + (wait.agent == null ? "" : " (" + wait.agent + ")"));
        if (wait.millis > bound) {
            r.failures.add("a wait on one hub's share of " + wait.millis + " ms after " + f.name() + " (bound " + bound
                    + " ms: the pool's longest window + 1 s, " + wait.agent + ")");
        }
    }

    private long longestWindowMillis(String pool) {
        List<String> ids = poolKeys.get(pool);
        return keys.stream().filter(k -> ids.contains(k.id())).flatMap(k -> k.limits().stream())
                .filter(l -> l.kind() == Limit.Kind.REQUESTS).mapToLong(l -> l.per().toMillis()).max().orElse(0);
    }

    /** 4. goodput: accepted calls as a share of the capacity of the scenario's keys over its span. */
    private double goodput(ProviderLog plog, List<String> keyIds, long start, long end) {
        double capacity = 0;
        for (ProviderKey k : keys) {
            if (keyIds.contains(k.id())) {
                capacity += k.limits().stream().filter(l -> l.kind() == Limit.Kind.REQUESTS)
                        .mapToDouble(l -> (double) l.amount() * (end - start) / l.per().toNanos()).min().orElse(0);
            }
        }
        long ok = plog.count(keyIds, start, end, 200);
        return capacity == 0 ? 0 : Math.min(1.0, ok / capacity);
    }

    /**
     * 5. no agent saw a hub error (docs/chaos.md, check 6): a fault may delay an acquire (the gap)
     * or leave no hub to ask (unavailable), but an error such as FENCED reaching the caller is the SDK's bug.
     */
    private void checkHubErrors(ScenarioResult r, List<String> pools, long start, long end) {
        Map<String, Long> errors = rec.misses(m -> pools.contains(m.pool()) && m.kind().equals("error")
                        && m.at() >= start && m.at() <= end).stream()
                .collect(Collectors.groupingBy(Recorder.Miss::code, TreeMap::new, Collectors.counting()));
        if (!errors.isEmpty()) {
            r.details.put("acquireErrors", errors.toString());
            r.failures.add("agents' acquires ended in hub errors " + errors);
        }
    }

    /**
     * A failover gap: the longest want in ms, and the agent that wanted with what it was told
     * meanwhile (null when no want overlapped).
     */
    public record Gap(long millis, String agent) {
    }

    private Gap worstGap(ProviderLog plog, String pool, long from, long to) {
        return worstGap(plog, pool, from, to, agent -> true);
    }

    /** Which wants a gap is measured over: all, or split by whether a hub's own share refused them. */
    private enum Wants { ALL, NOT_SHARE_BOUND, SHARE_BOUND }

    /**
     * The longest time an agent of the pool ({@code agents} picks which) wanted a lease and had
     * none, over spans overlapping [from, to], leaving out spans in which the agent was refused
     * while the provider had no room on any key of the pool (no capacity existed).
     */
    public Gap worstGap(ProviderLog plog, String pool, long from, long to, Predicate<String> agents) {
        return worstGap(plog, pool, from, to, agents, Wants.ALL);
    }

    private Gap worstGap(ProviderLog plog, String pool, long from, long to, Predicate<String> agents, Wants which) {
        List<String> keyIds = poolKeys.get(pool);
        Gap worst = new Gap(0, null);
        for (Recorder.Want w : rec.wants(pool, from, to)) {
            if (!agents.test(w.agent())) {
                continue;
            }
            if (which != Wants.ALL && refusedByAShare(w) != (which == Wants.SHARE_BOUND)) {
                continue;
            }
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

    /** Whether a hub refused the agent during the want because its own share of a budget was used up. */
    private boolean refusedByAShare(Recorder.Want w) {
        return !rec.misses(m -> m.agent().equals(w.agent()) && m.kind().equals("refused") && m.code().equals("BUDGET_EXHAUSTED")
                && m.at() >= w.from() && m.at() <= w.to()).isEmpty();
    }

    /** What the agent was told during a want, e.g. ": refused BUDGET_EXHAUSTED ×2" (why the gap was long). */
    private String missesDuring(Recorder.Want w) {
        Map<String, Long> seen = rec.misses(m -> m.agent().equals(w.agent()) && m.at() >= w.from() && m.at() <= w.to())
                .stream().collect(Collectors.groupingBy(m -> m.kind() + " " + m.code(), TreeMap::new, Collectors.counting()));
        StringBuilder sb = new StringBuilder();
        seen.forEach((what, n) -> sb.append(sb.length() == 0 ? ": " : ", ").append(what).append(" ×").append(n));
        return sb.toString();
    }
}
