package io.quotahub.agent;

import io.quotahub.agent.internal.ClientConfig;
import io.quotahub.agent.internal.ClientMetrics;
import io.quotahub.agent.internal.DefaultQuotaClient;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Regression of the chaos suite's kill-nats failback gaps of 1.3–1.6 s: when the agent's own
 * server came back, its hub announced itself ready through it at once, the agent's requests went
 * back there, and that hub's first grants took over a second (its ledger on the restarted
 * JetStream). The queue request timed out after the whole request timeout, then that hub's direct
 * subject did too, before the other hub was asked. A connection is now only on trial after a
 * hub announced itself through it: a request there that gets no answer within the trial goes
 * through the other connection, and the acquire never sees a timeout.
 */
class FailbackTrialTest {

    @Test
    void afterFailback_aHubThatAnnouncesButDoesNotAnswer_costsNoRequestTimeout() throws Exception {
        try (NatsServer own = NatsServer.start();
                NatsServer other = NatsServer.start();
                FakeHub edge = FakeHub.start(other.url(), "edge")) {
            FakeHub main = FakeHub.start(own.url(), "main");
            List<ClientMetrics.RouteFailure> routeFailures = new CopyOnWriteArrayList<>();
            ClientConfig config = new ClientConfig(List.of(own.url(), other.url()), null, "main-agent",
                    Priority.NORMAL, Duration.ofMillis(750), Duration.ofSeconds(1), Duration.ofSeconds(5), "main-agent")
                    .withMetrics(new ClientMetrics() {
                        @Override
                        public void routeFailed(String subject, RouteFailure failure) {
                            routeFailures.add(failure);
                        }
                    });
            try (DefaultQuotaClient client = new DefaultQuotaClient(config)) {
                await().until(() -> client.knownHubs().containsAll(List.of("main", "edge")));
                try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                    assertThat(lease.hubId()).isEqualTo("main");
                }

                main.close();
                own.kill();
                try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                    assertThat(lease.hubId()).as("failover").isEqualTo("edge");
                }

                own.startAgain();
                main = FakeHub.start(own.url(), "main").onAcquire(r -> null); // announces, grants nothing yet
                FakeHub silent = main;
                routeFailures.clear();
                List<String> grantedBy = new CopyOnWriteArrayList<>();
                await("an acquire tried the returned server's hub on trial").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> {
                            try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                                grantedBy.add(lease.hubId());
                            }
                            return !silent.acquires.isEmpty();
                        });

                assertThat(grantedBy).as("every lease came from the hub that answers").containsOnly("edge");
                assertThat(routeFailures).as("the request moved beneath the acquire: no attempt timed out")
                        .doesNotContain(ClientMetrics.RouteFailure.TIMEOUT);
                assertThat(edge.acquires.get(edge.acquires.size() - 1).request().getRequestId())
                        .as("the same request went on through the other server")
                        .isEqualTo(silent.acquires.get(0).request().getRequestId());
            } finally {
                main.close();
            }
        }
    }
}
