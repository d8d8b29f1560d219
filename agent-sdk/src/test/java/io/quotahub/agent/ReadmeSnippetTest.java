package io.quotahub.agent;

import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The SDK example of agent-sdk/README.md, verbatim, against a fake hub: the README compiles and runs. */
class ReadmeSnippetTest extends NatsTestBase {

    private String calledWith;

    private void callProvider(String apiKey) {
        calledWith = apiKey;
    }

    @Test
    void readmeExample_acquiresCallsAndCompletes() throws Exception {
        FakeHub hub = hub("main");
        String url = nats.url();
        Path agentUser = nats.credentials(NatsServer.AGENT);

        // ---- README example (servers and the user file point at the test's nats-server) ----
        try (QuotaClient client = QuotaClient.builder()
                .servers(url)                          // local first, others as fallback (varargs / list)
                .agentId("summarizer-1")
                .userPasswordFile(agentUser)           // the agent's NATS user
                .build()) {
            try (Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5))) {   // waits up to 5 s for room
                callProvider(lease.apiKey());
                lease.complete(1432);                  // or lease.rateLimited(Duration.ofSeconds(20)), lease.failed("timeout")
            }
        }
        // ---- end of README example ----

        assertThat(calledWith).isEqualTo(FakeHub.apiKeyOf("main"));
        assertThat(hub.acquires.get(0).request().getAgentId()).isEqualTo("summarizer-1");
        assertThat(hub.settles).hasSize(1);
        assertThat(hub.settles.get(0).request().getTokensUsed()).isEqualTo(1432);
        assertThat(hub.acquireReplySubjects).allMatch(r -> r.startsWith("_QH.agent." + NatsServer.AGENT + "."));
    }
}
