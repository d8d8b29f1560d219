package io.quotahub.hub.config;

import io.quotahub.engine.LimitKind;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.hub.config.pools.DurationText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolsConfigReaderTest {

    @TempDir
    Path dir;

    private final PoolsConfigReader reader = new PoolsConfigReader(Map.of("DEMO_KEY_1", "sk-from-env-123456789")::get);

    @Test
    void read_mapsLimitsPresetAndSecretsFromEnvAndFile() throws Exception {
        Path file = Files.writeString(dir.resolve("k2"), "sk-from-file-987654321\n");
        PoolsConfig config = reader.read(Map.of("demo", Map.of(
                "preset", "conservative",
                "max-concurrent", 20,
                "limits", List.of(Map.of("requests", 1000, "per", "1d", "calendar-day", "America/New_York")),
                "keys", List.of(
                        Map.of("id", "k1", "secret-env", "DEMO_KEY_1", "max-concurrent", 10,
                                "limits", List.of(Map.of("requests", 60, "per", "1m"), Map.of("tokens", 100000, "per", "1m"))),
                        Map.of("id", "k2", "secret-file", file.toString(), "limits", List.of(Map.of("requests", 5, "per", "1s")))))));

        PoolSpec demo = config.pools().get(0);
        assertThat(demo.preset()).isEqualTo(Preset.CONSERVATIVE);
        assertThat(demo.maxConcurrent()).isEqualTo(20);
        assertThat(demo.limits().get(0).calendarDayZone()).isEqualTo(ZoneId.of("America/New_York"));
        assertThat(demo.keys().get(0).limits()).extracting(l -> l.kind() + " " + l.capacity() + " " + l.per())
                .containsExactly("REQUESTS 60 PT1M", "TOKENS 100000 PT1M");
        assertThat(demo.keys().get(1).limits().get(0).per()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.secrets().get(new KeyRef("demo", "k1")).reveal()).isEqualTo("sk-from-env-123456789");
        assertThat(config.secrets().get(new KeyRef("demo", "k2")).reveal()).isEqualTo("sk-from-file-987654321");
        assertThat(config.problems()).isEmpty();
    }

    @Test
    void read_leavesOutAKeyWhoseSecretCannotBeReadAndSaysWhy() {
        PoolsConfig config = reader.read(Map.of("demo", Map.of("keys", List.of(
                Map.of("id", "k1", "secret-env", "DEMO_KEY_1", "limits", List.of(Map.of("requests", 60, "per", "1m"))),
                Map.of("id", "k2", "secret-env", "NOT_SET", "limits", List.of(Map.of("requests", 60, "per", "1m"))),
                Map.of("id", "k3", "secret-file", dir.resolve("missing").toString(), "limits", List.of(Map.of("requests", 60, "per", "1m")))))));

        assertThat(config.pools().get(0).keys()).extracting(k -> k.id()).containsExactly("k1");
        assertThat(config.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("k2").contains("NOT_SET"))
                .anySatisfy(p -> assertThat(p).contains("k3").contains("secret-file"));
        assertThat(config.unusablePools()).isEmpty();
    }

    @Test
    void read_marksAPoolWithoutAnyUsableKey() {
        PoolsConfig config = reader.read(Map.of("dead", Map.of("keys", List.of(
                Map.of("id", "k1", "secret-env", "NOT_SET", "limits", List.of(Map.of("requests", 1, "per", "1m")))))));

        assertThat(config.unusablePools()).containsExactly("dead");
    }

    @Test
    void read_namesTheFieldOfAStructuralError() {
        assertThatThrownBy(() -> reader.read(Map.of("demo", Map.of("keys", List.of(
                Map.of("id", "k1", "secret-env", "DEMO_KEY_1", "limits", List.of(Map.of("requests", 60, "per", "soon"))))))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.pools.demo.keys[0].limits[0].per");
        assertThatThrownBy(() -> reader.read(Map.of("demo", Map.of("keys", List.of(
                Map.of("id", "k1", "secret-env", "DEMO_KEY_1", "limits", List.of(Map.of("per", "1m"))))))))
                .hasMessageContaining("exactly one of 'requests' or 'tokens'");
        assertThatThrownBy(() -> reader.read(Map.of("demo", Map.of("preset", "TURBO", "keys", List.of(
                Map.of("id", "k1", "secret-env", "DEMO_KEY_1"))))))
                .hasMessageContaining("quotahub.pools.demo.preset");
    }

    @Test
    void secret_neverShowsMoreThanItsLastFourCharacters() {
        Secret secret = new Secret("sk-very-secret-value-abcd");

        assertThat(secret.toString()).isEqualTo("…abcd");
        assertThat(String.valueOf(Map.of("k", secret))).doesNotContain("very-secret");
    }

    @Test
    void durations_acceptShortAndIsoForms() {
        assertThat(DurationText.parse("x", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationText.parse("x", "1d")).isEqualTo(Duration.ofDays(1));
        assertThat(DurationText.parse("x", "PT1M")).isEqualTo(Duration.ofMinutes(1));
        assertThat(LimitKind.TOKENS.label()).isEqualTo("tokens");
    }

    private PoolsConfig withPolicy(Map<String, Object> policy) {
        Map<String, Object> pool = new java.util.HashMap<>(policy);
        pool.put("keys", List.of(Map.of("id", "k1", "secret-env", "DEMO_KEY_1",
                "limits", List.of(Map.of("requests", 60, "per", "1m"), Map.of("tokens", 1000, "per", "1m")))));
        return reader.read(Map.of("demo", pool));
    }

    @Test
    void read_mapsThePoolPolicy_withSettleBoundFairShareAndHighPriorityAgents() {
        PoolSpec configured = withPolicy(Map.of("max-tokens-per-call", 2500, "max-open-leases-per-agent", 4,
                "max-share-per-agent", 0.25, "high-priority-agents", List.of("ops-*", "pager"))).pools().get(0);
        PoolSpec fromEnv = withPolicy(Map.of("high-priority-agents", "ops-*, pager")).pools().get(0);
        PoolSpec defaults = withPolicy(Map.of()).pools().get(0);

        assertThat(configured.policy().maxTokensPerCall()).isEqualTo(2500);
        assertThat(configured.maxTokensPerCall()).isEqualTo(2500);
        assertThat(configured.policy().maxOpenLeasesPerAgent()).isEqualTo(4);
        assertThat(configured.policy().maxSharePerAgent()).isEqualTo(0.25);
        assertThat(configured.policy().mayUseHighPriority("ops-7")).isTrue();
        assertThat(configured.policy().mayUseHighPriority("pager")).isTrue();
        assertThat(configured.policy().mayUseHighPriority("intruder")).isFalse();
        assertThat(fromEnv.policy().highPriorityAgents()).containsExactly("ops-*", "pager");
        assertThat(defaults.maxTokensPerCall()).as("4 x the largest token limit").isEqualTo(4000);
        assertThat(defaults.policy().maxOpenLeasesPerAgent()).isZero();
        assertThat(defaults.policy().maxSharePerAgent()).isZero();
        assertThat(defaults.policy().mayUseHighPriority("anyone")).isFalse();
    }

    @Test
    void read_refusesABadPolicyValueNamingItsPath() {
        assertThatThrownBy(() -> withPolicy(Map.of("max-tokens-per-call", 0)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.pools.demo.max-tokens-per-call must be between 1 and");
        assertThatThrownBy(() -> withPolicy(Map.of("max-tokens-per-call", "lots")))
                .hasMessageContaining("quotahub.pools.demo.max-tokens-per-call must be a whole number");
        assertThatThrownBy(() -> withPolicy(Map.of("max-tokens-per-call", 2_000_000_000_000L)))
                .hasMessageContaining("quotahub.pools.demo.max-tokens-per-call");
        assertThatThrownBy(() -> withPolicy(Map.of("max-open-leases-per-agent", -1)))
                .hasMessageContaining("quotahub.pools.demo.max-open-leases-per-agent");
        assertThatThrownBy(() -> withPolicy(Map.of("max-share-per-agent", 1.5)))
                .hasMessageContaining("quotahub.pools.demo.max-share-per-agent must be a number between 0 (off) and 1, was '1.5'");
        assertThatThrownBy(() -> withPolicy(Map.of("max-share-per-agent", "half")))
                .hasMessageContaining("quotahub.pools.demo.max-share-per-agent");
        assertThatThrownBy(() -> withPolicy(Map.of("max-share-per-agent", "NaN")))
                .hasMessageContaining("quotahub.pools.demo.max-share-per-agent");
        assertThatThrownBy(() -> withPolicy(Map.of("high-priority-agents", List.of("ops", " "))))
                .hasMessageContaining("quotahub.pools.demo.high-priority-agents[1]");
        assertThatThrownBy(() -> withPolicy(Map.of("high-priority-agents", Map.of("who", "ops"))))
                .hasMessageContaining("quotahub.pools.demo.high-priority-agents must be a list");
    }
}
