package io.quotahub.agent;

import io.quotahub.agent.internal.DefaultQuotaClient;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;


/** One real nats-server per test class; clients and fake hubs made by a test are closed after it. */
abstract class NatsTestBase {

    static NatsServer nats;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startNats() {
        nats = NatsServer.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        toClose.clear();
    }

    <T extends AutoCloseable> T closeLater(T resource) {
        toClose.add(resource);
        return resource;
    }

    FakeHub hub(String id) throws Exception {
        return closeLater(FakeHub.start(nats.url(), id));
    }

    FakeHub directOnlyHub(String id) throws Exception {
        return closeLater(FakeHub.startDirectOnly(nats.url(), id));
    }

    QuotaClient.Builder clientBuilder() {
        // the production agent user and permissions: the SDK may only use what a real agent may
        return QuotaClient.builder().servers(nats.url()).agentId("test-agent").userPasswordFile(nats.credentials(NatsServer.AGENT));
    }

    QuotaClient client() {
        return closeLater(clientBuilder().build());
    }

    static void awaitKnownHubs(QuotaClient client, String... ids) {
        await("client to hear hubs " + List.of(ids),
                () -> ((DefaultQuotaClient) client).knownHubs().containsAll(List.of(ids)));
    }

    static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }
}
