package io.quotahub.agent;

import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's local NATS server dies: the client reconnects to the next server and its hub serves. */
class ServerFailoverTest {

    @Test
    void localServerKilled_acquireIsServedByTheHubBehindTheSecondServer() throws Exception {
        try (NatsServer local = NatsServer.start();
             NatsServer remote = NatsServer.start();
             FakeHub main = FakeHub.start(local.url(), "main");
             FakeHub edge = FakeHub.start(remote.url(), "edge");
             QuotaClient client = QuotaClient.builder().servers(local.url(), remote.url()).agentId("a1").build()) {
            try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                assertThat(lease.hubId()).isEqualTo("main");
            }

            local.kill();

            try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                assertThat(lease.hubId()).isEqualTo("edge");
            }
            assertThat(edge.settles).hasSize(1);
            assertThat(main.acquires).hasSize(1);
        }
    }
}
