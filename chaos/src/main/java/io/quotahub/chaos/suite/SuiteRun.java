package io.quotahub.chaos.suite;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.chaos.checker.HubAgreement;
import io.quotahub.chaos.checker.ScenarioChecker;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.Nemesis;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What the scenarios of one suite run share: the cluster, the profile, the seed's random (one
 * sequence for the whole run, so a seed replays every scenario), the agents' record, the nemesis,
 * the workload's agents on the {@code chaos} pool, and the checker. Also the moves several
 * scenarios make: shifting demand, healing a fault and waiting until the hubs agree, recording a
 * lease with its provider call.
 */
final class SuiteRun {

    final ChaosCluster cluster;
    /** The project's root (the agent scripts and the clients' sources), or null when the run has none. */
    final Path root;
    final Profile profile;
    final Random random;
    final Consumer<String> log;
    final Recorder rec;
    final Nemesis nemesis;
    final ProviderCaller caller;
    final ScenarioChecker checker;
    private final HubAgreement agreement = new HubAgreement();
    private final List<ChaosAgent> chaosAgents;
    private final AtomicInteger ids = new AtomicInteger();
    /** The provider simulator, where a scenario changes a provider's limit (reload-under-faults). */
    io.quotahub.chaos.provider.ProviderLimiter provider;

    SuiteRun(ChaosCluster cluster, Path root, Profile profile, Random random, Consumer<String> log, Recorder rec, Nemesis nemesis,
            ProviderCaller caller, ScenarioChecker checker, List<ChaosAgent> chaosAgents) {
        this.cluster = cluster;
        this.root = root;
        this.profile = profile;
        this.random = random;
        this.log = log;
        this.rec = rec;
        this.nemesis = nemesis;
        this.caller = caller;
        this.checker = checker;
        this.chaosAgents = chaosAgents;
    }

    /** True in the full profile (longer phases, more faults in the mix). */
    boolean full() {
        return profile.name().equals("full");
    }

    /** A fresh number for an agent id. */
    int nextId() {
        return ids.incrementAndGet();
    }

    /** Judges one scenario (see {@link ScenarioChecker#check}). */
    ScenarioResult check(String name, long start, long end, List<String> pools, List<Fault> faults) {
        return checker.check(name, start, end, pools, faults);
    }

    // ------------------------------------------------------------------ demand

    /** Demand moves: each agent of the chaos pool is on or off, at least one per side on. */
    void shiftDemand() {
        for (String side : ChaosCluster.HUBS) {
            List<ChaosAgent> mine = chaosAgents.stream().filter(a -> a.side().equals(side)).toList();
            int on = 1 + random.nextInt(mine.size());
            for (int i = 0; i < mine.size(); i++) {
                mine.get(i).demand(i < on);
            }
        }
    }

    void allDemand(boolean on) {
        chaosAgents.forEach(a -> a.demand(on));
    }

    // ------------------------------------------------------------------ faults and agreement

    /** Heals a fault, then asks both hubs every 50 ms until they agree; notes when and why not on the fault. */
    void healAndConverge(Fault f) {
        nemesis.heal(f);
        long deadline = System.nanoTime() + ScenarioChecker.CONVERGENCE_WAIT.toNanos();
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
            log.accept("hubs did not agree within " + ScenarioChecker.CONVERGENCE_WAIT + " after healing " + f.name() + ": "
                    + agreement.lastDisagreement());
        } else {
            log.accept("hubs agree " + f.convergenceMillis() + " ms after healing " + f.name() + " (" + note + ")");
        }
    }

    /** After a scenario crashed: heal the link, start whatever is down, wait until both hubs agree. */
    void recover() {
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

    void awaitAgreement(String what) {
        if (agreement.awaitAgreement(cluster, ScenarioChecker.CONVERGENCE_WAIT) < 0) {
            log.accept("hubs do not agree at " + what + ": " + agreement.lastDisagreement());
        }
    }

    // ------------------------------------------------------------------ clients

    QuotaClient client(String side) {
        return cluster.agentClient(side).agentId(side + "-client-" + nextId()).build();
    }

    /** The SDK learns the hubs' ids from their announcements: give it a moment before timing anything. */
    static void warm(QuotaClient c, String pool) {
        Clock.sleep(300);
    }

    static Optional<Lease> tryAcquire(QuotaClient c, String pool) {
        try {
            return c.tryAcquire(pool, 1);
        } catch (QuotaHubException e) {
            return Optional.empty();
        }
    }

    /** Records a lease, calls the provider with its key and settles it. */
    void record(QuotaClient c, Lease lease, long asked, String side) {
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
}
