package io.quotahub.hub.main;

import io.quotahub.testkit.HubProcess;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The runnable jar as users start it: {@code java -jar hub-main.jar}, config in a file, secret in the environment. */
class HubMainJarIT {

    private static final String SECRET = "sk-jar-it-main-secret-5150";

    @TempDir
    Path dir;

    @Test
    void theJarServesLeasesAndKeepsTheSecretOffItsCommandLineAndLog() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            Path config = Files.writeString(dir.resolve("hub.yml"), """
                    quotahub:
                      nats-url: %s
                      pools:
                        demo:
                          keys:
                            - id: k1
                              secret-env: QH_IT_KEY
                              limits:
                                - { requests: 60, per: 1m }
                    """.formatted(nats.url()));
            try (HubProcess hub = HubProcess.start(Path.of(System.getProperty("hub.jar")), config,
                    Map.of("QH_IT_KEY", SECRET), Duration.ofSeconds(60))) {
                HttpResponse<String> lease = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"it\"}");
                HttpResponse<String> state = hub.get("/api/v1/state");

                assertThat(lease.statusCode()).as(lease.body()).isEqualTo(200);
                assertThat(lease.body()).contains(SECRET);
                assertThat(state.body()).contains("\"hubId\":\"main\"").doesNotContain(SECRET);
                assertThat(hub.commandLine()).contains("hub-main.jar").doesNotContain(SECRET);
                assertThat(hub.log()).contains("QuotaHub hub main ready").doesNotContain(SECRET);
            }
        }
    }
}
