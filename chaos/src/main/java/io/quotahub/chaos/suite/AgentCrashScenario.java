package io.quotahub.chaos.suite;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.chaos.AgentLogin;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code agent-crash}: agents crash holding leases (one with the provider already called): the hubs must reclaim them. */
final class AgentCrashScenario implements Scenario {

    @Override
    public String name() {
        return "agent-crash";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        long start = Clock.now();
        run.shiftDemand();
        Clock.sleep(run.profile.settleMillis());
        List<String> crashed = new ArrayList<>();
        List<QuotaClient> zombies = new ArrayList<>();
        try {
            for (String side : ChaosCluster.HUBS) {
                zombies.add(crash(run, side, crashed));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Fault f = run.nemesis.inject(FaultKind.AGENT_CRASH, null);
        f.note(crashed.size() + " leases abandoned");
        run.allDemand(true);
        // agent-dead-after is 3 s: the hubs must have reclaimed the leases after that, plus a margin
        Clock.sleep(Math.max(run.profile.holdMillis(), 5_000));
        run.healAndConverge(f);
        Clock.sleep(run.profile.settleMillis());
        run.allDemand(false);
        zombies.forEach(QuotaClient::close);
        ScenarioResult r = run.check("agent-crash", start, Clock.now(), List.of("chaos"), List.of(f));
        r.details.put("abandonedLeases", crashed.size());
        if (crashed.isEmpty()) {
            r.failures.add("the crashing agents got no lease to abandon");
        }
        Set<String> closed = run.checker.ledgers().closedLeases();
        long unreclaimed = crashed.stream().filter(id -> !closed.contains(id)).count();
        r.details.put("unreclaimedLeases", unreclaimed);
        if (unreclaimed > 0) {
            r.failures.add(unreclaimed + " abandoned leases never expired in a ledger (the hubs did not reclaim them)");
        }
        return r;
    }

    /** One agent on its own connection takes 3 leases, calls the provider with the first, then drops the connection. */
    private static QuotaClient crash(SuiteRun run, String side, List<String> crashed) throws IOException, InterruptedException {
        ChaosCluster cluster = run.cluster;
        Options.Builder options = new Options.Builder().servers(cluster.agentServers(side)).noRandomize()
                .maxReconnects(-1).errorListener(new io.nats.client.ErrorListener() { });
        Connection nc = Nats.connect(AgentLogin.apply(options, cluster.agentCredentials()).build());
        QuotaClient c = QuotaClient.builder().connection(nc).agentId("crasher-" + side + "-" + run.nextId()).build();
        for (int i = 0; i < 3; i++) {
            long asked = Clock.now();
            Optional<Lease> lease = SuiteRun.tryAcquire(c, "chaos");
            if (lease.isPresent()) {
                run.rec.lease(new Recorder.LeaseRec(c.agentId(), side, "chaos", lease.get().hubId(), lease.get().keyId(),
                        lease.get().leaseId(), asked, Clock.now()));
                crashed.add(lease.get().leaseId());
                if (i == 0) {
                    // the provider counts this call; the hub never hears how it went
                    ProviderCaller.Answer a = run.caller.call(lease.get().apiKey(), 1);
                    run.rec.call(new Recorder.CallRec(c.agentId(), lease.get().keyId(), Clock.now(), a.status()));
                }
            }
        }
        nc.close();
        return c;
    }
}
