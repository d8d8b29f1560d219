package io.quotahub.agent;

import io.quotahub.agent.internal.ClientConfig;
import io.quotahub.agent.internal.ClientMetrics;
import io.quotahub.agent.internal.DefaultQuotaClient;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An edge agent whose own nats-server dies ({@code kill -9}) and comes back, on the real
 * two-server topology (leafnode-linked): it keeps getting leases from the other machine's hub
 * while its server is down, a request in flight on the lost connection is retried on the other
 * one instead of waiting for its timeout, and leases come from its own hub again after the restart.
 */
class LocalServerLossTest {

    /** Long enough that only a request lost for good can time out, even on a loaded host. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    @Test
    void theAgentKeepsGettingLeasesThroughTheOtherServerAndComesBack() throws Exception {
        try (NatsPair pair = NatsPair.start();
                FakeHub main = FakeHub.start(pair.main().url(), "main");
                FakeHub edge = FakeHub.start(pair.edge().url(), "edge")) {
            List<ClientMetrics.RouteFailure> routeFailures = new CopyOnWriteArrayList<>();
            ClientMetrics metrics = new ClientMetrics() {
                @Override
                public void routeFailed(String subject, RouteFailure failure) {
                    routeFailures.add(failure);
                }
            };
            ClientConfig config = new ClientConfig(List.of(pair.edge().url(), pair.main().url()), null, "edge-agent",
                    Priority.NORMAL, REQUEST_TIMEOUT, Duration.ofSeconds(1), Duration.ofSeconds(5), "edge-agent")
                    .withMetrics(metrics);
            try (DefaultQuotaClient client = new DefaultQuotaClient(config)) {
                await("both hubs heard", () -> client.knownHubs().containsAll(List.of("main", "edge")));
                List<String> leases = new CopyOnWriteArrayList<>();
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                AtomicBoolean run = new AtomicBoolean(true);
                Thread agent = new Thread(() -> {
                    while (run.get()) {
                        try {
                            Lease lease = client.acquire("demo", 1, Duration.ofSeconds(20));
                            leases.add(lease.hubId());
                            lease.close();
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                }, "edge-agent-loop");
                agent.start();
                try {
                    await("leases from the local hub", () -> leases.stream().filter("edge"::equals).count() >= 5);

                    pair.edge().kill();
                    int atKill = leases.size();
                    await("leases after the kill", () -> leases.size() >= atKill + 20);
                    List<String> whileDown = List.copyOf(leases).subList(atKill + 1, atKill + 20);

                    pair.edge().startAgain();
                    int atRestart = leases.size();
                    await("leases from the local hub after the restart",
                            () -> leases.stream().skip(atRestart).anyMatch("edge"::equals));

                    assertThat(whileDown).as("leases while the local server was down").containsOnly("main");
                } finally {
                    run.set(false);
                    agent.join(30_000);
                }
                assertThat(failures).as("every acquire was answered").isEmpty();
                assertThat(routeFailures).as("the request lost with the connection failed with it, not by a timeout")
                        .doesNotContain(ClientMetrics.RouteFailure.TIMEOUT);
            }
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }
}
