package io.quotahub.chaos.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

class HubConfigKeysTest {

    @TempDir
    Path dir;

    @Test
    void parse_readsKeysLimitsAndSecretsFromEnvAndFile() throws Exception {
        Path secretFile = dir.resolve("k2.secret");
        Files.writeString(secretFile, "sk-from-file\n");
        String yaml = """
                quotahub:
                  hub-id: main
                  nats-url: nats://127.0.0.1:4222
                  pools:
                    demo:
                      keys:
                        - id: k1
                          secret-env: DEMO_KEY_1
                          limits:
                            - { requests: 60, per: 1m }
                            - { tokens: 100000, per: 1m }
                          max-concurrent: 10
                        - id: k2
                          secret-file: %s
                          limits:
                            - { requests: 5, per: 500ms }
                        - id: k3
                          secret-env: NOT_SET
                """.formatted(secretFile);
        List<String> warnings = new ArrayList<>();
        List<ProviderKey> keys = HubConfigKeys.parse(new Yaml().load(yaml), Map.of("DEMO_KEY_1", "sk-from-env")::get,
                warnings::add);
        assertThat(keys).extracting(ProviderKey::id).containsExactly("k1", "k2");
        assertThat(keys.get(0).secret()).isEqualTo("sk-from-env");
        assertThat(keys.get(0).limits()).containsExactly(Limit.requests(60, Duration.ofMinutes(1)),
                Limit.tokens(100000, Duration.ofMinutes(1)));
        assertThat(keys.get(1).secret()).isEqualTo("sk-from-file");
        assertThat(keys.get(1).limits()).containsExactly(Limit.requests(5, Duration.ofMillis(500)));
        assertThat(warnings).singleElement().asString().contains("k3").contains("NOT_SET");
    }

    @Test
    void parse_namesTheFieldOfAMalformedLimit() {
        String yaml = """
                quotahub:
                  pools:
                    demo:
                      keys:
                        - id: k1
                          secret-env: X
                          limits:
                            - { requests: 60, per: 60 }
                """;
        assertThatThrownBy(() -> HubConfigKeys.parse(new Yaml().load(yaml), Map.of("X", "s")::get, w -> { }))
                .hasMessageContaining("quotahub.pools.demo.keys[0].limits[0]");
    }

    @Test
    void parse_leavesOutLimitsInShadowOrCanaryMode_theyAreNoProvidersLimit() {
        String yaml = """
                quotahub:
                  pools:
                    demo:
                      keys:
                        - id: k1
                          secret-env: X
                          limits:
                            - { requests: 60, per: 1m }
                            - { requests: 30, per: 1m, mode: shadow }
                            - { tokens: 500, per: 1m, mode: canary, enforce-percent: 10 }
                """;
        List<ProviderKey> keys = HubConfigKeys.parse(new Yaml().load(yaml), Map.of("X", "s")::get, w -> { });
        assertThat(keys.get(0).limits()).containsExactly(Limit.requests(60, Duration.ofMinutes(1)));
    }
}
