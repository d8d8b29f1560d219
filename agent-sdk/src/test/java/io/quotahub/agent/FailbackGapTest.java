package io.quotahub.agent;

import io.quotahub.agent.internal.ClientConfig;
import io.quotahub.agent.internal.ClientMetrics;
import io.quotahub.agent.internal.DefaultQuotaClient;
import io.quotahub.testkit.NatsPair;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Regression of chaos seed 20261207 ({@code failbackGap kill-nats(main) #49 => 1242 ms}, bound
 * 1 000 ms): a main agent whose own nats-server was killed kept getting leases through the edge
 * server, but when main's server came back the agent's connection to it reconnected within 250 ms
 * and every request went there at once — before main's hub had reconnected and before the
 * leafnode to edge was back, so nothing on that server could answer. Every route said "no
 * responders", round after round, until a hub was reachable there again. A reconnected connection
 * now takes requests only once a hub has announced itself ready through it, and a request that
 * finds no responders through one server while a hub is alive behind the other goes there.
 */
class FailbackGapTest {

    /** The chaos suite's bound on a failover gap (kill-nats). */
    private static final long GAP_BOUND_MS = 1_000;

    @Test
    void failback_afterTheLocalServerRestarts_waitsUntilAHubIsReachableThere() throws Exception {
        try (NatsPair pair = NatsPair.start();
                FakeHub edge = FakeHub.start(pair.edge().url(), "edge")) {
            FakeHub main = FakeHub.start(pair.main().url(), "main");
            List<ClientMetrics.RouteFailure> routeFailures = new CopyOnWriteArrayList<>();
            ClientMetrics metrics = new ClientMetrics() {
                @Override
                public void routeFailed(String subject, RouteFailure failure) {
                    routeFailures.add(failure);
                }
            };
            ClientConfig config = new ClientConfig(List.of(pair.main().url(), pair.edge().url()), null, "main-agent",
                    Priority.NORMAL, Duration.ofMillis(750), Duration.ofSeconds(1), Duration.ofSeconds(5), "main-agent")
                    .withMetrics(metrics);
            try (DefaultQuotaClient client = new DefaultQuotaClient(config)) {
                await().until(() -> client.knownHubs().containsAll(List.of("main", "edge")));
                List<long[]> grants = new CopyOnWriteArrayList<>(); // {nanoTime, hub: 0 main, 1 edge}
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                AtomicBoolean run = new AtomicBoolean(true);
                Thread agent = new Thread(() -> {
                    while (run.get()) {
                        try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(20))) {
                            grants.add(new long[] {System.nanoTime(), "main".equals(lease.hubId()) ? 0 : 1});
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                }, "main-agent-loop");
                agent.start();
                try {
                    await().until(() -> grants.stream().filter(g -> g[1] == 0).count() >= 5);

                    main.close();
                    pair.main().kill();
                    pair.link().cut(); // the leafnode stays down: only main's own hub can serve there
                    int atKill = grants.size();
                    await().until(() -> grants.size() >= atKill + 20);

                    routeFailures.clear();
                    long restartedAt = System.nanoTime();
                    pair.main().startAgain();
                    // main's server is back, its hub only 2 s later (the real hub reconnects and
                    // checks its ledger; the leafnode reconnects after a second or more): meanwhile
                    // nothing may go to that server
                    await("no request goes to the restarted server before a hub is there")
                            .during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                            .until(() -> !routeFailures.contains(ClientMetrics.RouteFailure.NO_RESPONDERS));
                    main = FakeHub.start(pair.main().url(), "main");
                    int atHubBack = grants.size();
                    await().until(() -> grants.stream().skip(atHubBack).anyMatch(g -> g[1] == 0));
                    long gapMs = 0;
                    long previous = restartedAt;
                    for (long[] g : grants) {
                        if (g[0] - restartedAt > 0) {
                            gapMs = Math.max(gapMs, (g[0] - previous) / 1_000_000);
                            previous = g[0];
                        }
                    }
                    assertThat(gapMs).as("longest time without a lease after the restart").isLessThan(GAP_BOUND_MS);
                } finally {
                    run.set(false);
                    agent.join(30_000);
                    main.close();
                }
                assertThat(failures).as("every acquire was answered").isEmpty();
            }
        }
    }

    @Test
    void noRespondersThroughOneServer_whileAHubAnswersThroughTheOther_sendsTheSameRequestThere() throws Exception {
        // server A has no queue subscriber at all (only a hub's direct subject), B has the serving hub:
        // the queue request through A finds no responders; it goes once more through B, not to A's routes
        try (NatsServer a = NatsServer.start();
                NatsServer b = NatsServer.start();
                FakeHub ghost = FakeHub.startDirectOnly(a.url(), "ghost");
                FakeHub edge = FakeHub.start(b.url(), "edge")) {
            List<ClientMetrics.RouteFailure> routeFailures = new CopyOnWriteArrayList<>();
            ClientConfig config = new ClientConfig(List.of(a.url(), b.url()), null, "agent-ab", Priority.NORMAL,
                    Duration.ofMillis(750), Duration.ofSeconds(1), Duration.ofSeconds(5), "agent-ab")
                    .withMetrics(new ClientMetrics() {
                        @Override
                        public void routeFailed(String subject, RouteFailure failure) {
                            routeFailures.add(failure);
                        }
                    });
            try (DefaultQuotaClient client = new DefaultQuotaClient(config)) {
                await().until(() -> client.knownHubs().containsAll(List.of("ghost", "edge")));

                try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                    assertThat(lease.hubId()).isEqualTo("edge");
                }
                assertThat(routeFailures).as("the request moved to the other server, no route failed").isEmpty();
                assertThat(edge.acquires).hasSize(1);
                assertThat(ghost.acquires).isEmpty();
            }
        }
    }
}
