package io.quotahub.chaos.jars;

import io.quotahub.testkit.HubProcess;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each runnable jar as users start it ({@code java -jar hub-main.jar}, {@code java -jar hub-edge.jar}):
 * config in a file, the secret in the environment, never on the command line nor in the log. It
 * lives here because this module is built after both jars.
 */
class HubJarIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", ".."));

    @TempDir
    Path dir;

    @ParameterizedTest(name = "hub-{0}.jar")
    @ValueSource(strings = {"main", "edge"})
    void theJarServesLeasesAndKeepsTheSecretOffItsCommandLineAndLog(String hubId) throws Exception {
        String secret = "sk-jar-it-" + hubId + "-secret-5150";
        Path jar = ROOT.resolve("hub-" + hubId + "/target/hub-" + hubId + ".jar");
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
            try (HubProcess hub = HubProcess.start(jar, config, Map.of("QH_IT_KEY", secret), Duration.ofSeconds(60))) {
                HttpResponse<String> lease = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"it\"}");
                HttpResponse<String> state = hub.get("/api/v1/state");

                assertThat(lease.statusCode()).as(lease.body()).isEqualTo(200);
                assertThat(lease.body()).contains(secret);
                assertThat(state.body()).contains("\"hubId\":\"" + hubId + "\"").doesNotContain(secret);
                assertThat(hub.commandLine()).contains("hub-" + hubId + ".jar").doesNotContain(secret);
                assertThat(hub.log()).contains("QuotaHub hub " + hubId + " ready").doesNotContain(secret);
            }
        }
    }
}
