package io.quotahub.hub.config.pools;

import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Preset;
import io.quotahub.hub.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolsBinderTest {

    private static Map<String, Object> pool(Map<String, Object> extra, Object... limits) {
        Map<String, Object> pool = new HashMap<>(extra);
        pool.put("keys", List.of(Map.of("id", "k1", "secret-env", "K1", "limits", List.of(limits))));
        return pool;
    }

    @Test
    void bind_givesTypedPoolsWithDurationsParsedAndSecretSourcesNamed() {
        PoolsSettings bound = PoolsBinder.bind(Map.of("demo", Map.of("preset", "premium", "max-concurrent", "1_000",
                "keys", List.of(Map.of("id", " k1 ", "secret-file", "/run/k1", "max-concurrent", 3,
                        "limits", List.of(Map.of("requests", 60, "per", "1m"), Map.of("tokens", "100000", "per", "PT5S")))))));

        PoolSettings demo = bound.pools().get(0);
        assertThat(demo.name()).isEqualTo("demo");
        assertThat(demo.preset()).isEqualTo(Preset.PREMIUM);
        assertThat(demo.maxConcurrent()).isEqualTo(1000);
        KeySettings k1 = demo.keys().get(0);
        assertThat(k1.id()).isEqualTo("k1");
        assertThat(k1.secret()).isEqualTo(new SecretSource(null, "/run/k1"));
        assertThat(k1.limits()).containsExactly(LimitSpec.requests(60, Duration.ofMinutes(1)), LimitSpec.tokens(100000, Duration.ofSeconds(5)));
        assertThat(k1.spec().maxConcurrent()).isEqualTo(3);
    }

    @Test
    void bind_runsAgainOnAFreshTree_asAReloadWould() {
        PoolsSettings first = PoolsBinder.bind(Map.of("demo", pool(Map.of(), Map.of("requests", 60, "per", "1m"))));
        PoolsSettings second = PoolsBinder.bind(Map.of("demo", pool(Map.of(), Map.of("requests", 30, "per", "1m")),
                "other", pool(Map.of(), Map.of("tokens", 10, "per", "1s"))));

        assertThat(first.pools()).extracting(PoolSettings::name).containsExactly("demo");
        assertThat(first.pools().get(0).keys().get(0).limits().get(0).capacity()).isEqualTo(60);
        assertThat(second.pools()).extracting(PoolSettings::name).containsExactlyInAnyOrder("demo", "other");
        assertThat(PoolsBinder.bind(Map.of()).pools()).isEmpty();
        assertThat(PoolsBinder.bind(null).pools()).isEmpty();
    }

    @Test
    void aBadValue_isOneErrorNamingItsWholePath() {
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of(),
                Map.of("requests", 60, "per", "1m"), Map.of("tokens", 5, "per", "5 sec"))))).isInstanceOf(ConfigException.class)
                .hasMessage("quotahub.pools.demo.keys[0].limits[1].per is not a duration: '5 sec' (use e.g. 500ms, 10s, 1m, 1h, 1d)");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of("limits", List.of(Map.of("requests", 1, "per", "0s")))))))
                .hasMessage("quotahub.pools.demo.limits[0].per must be positive, was 0s");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of(), Map.of("requests", 2_000_000_000_000L, "per", "1m")))))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("quotahub.pools.demo.keys[0].limits[0].requests must be a positive number");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of(), Map.of("requests", 1, "per", "1h", "calendar-day", "UTC")))))
                .hasMessage("quotahub.pools.demo.keys[0].limits[0].calendar-day needs per: 1d, was 1h");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", Map.of("keys", List.of()))))
                .hasMessage("quotahub.pools.demo.keys is empty: a pool needs at least one key");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", "no")))
                .hasMessage("quotahub.pools.demo must be a mapping, was 'no'");
    }

    @Test
    void aKeyIdUsedTwice_isRefusedEvenWhenOneOfThemHasNoSecret() {
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", Map.of("keys", List.of(
                Map.of("id", "k1"), Map.of("id", "k1", "secret-env", "K1"))))))
                .hasMessage("quotahub.pools.demo.keys[1].id 'k1' is used twice in pool demo");
    }

    @Test
    void aListFlattenedToIndices_keepsItsNumericOrder() {
        Map<String, Object> limits = new HashMap<>();
        for (int i = 0; i < 11; i++) {
            limits.put(String.valueOf(i), Map.of("requests", i + 1, "per", "1m"));
        }
        PoolsSettings bound = PoolsBinder.bind(Map.of("demo", Map.of("limits", limits, "keys", Map.of("0", Map.of("id", "k1")))));

        assertThat(bound.pools().get(0).limits()).extracting(LimitSpec::capacity)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
    }

    @Test
    void learnLimits_isOffByDefault_trueOrFalse_andAnythingElseIsAnError() {
        Map<String, Object> key = Map.of("0", Map.of("id", "k1"));
        assertThat(PoolsBinder.bind(Map.of("demo", Map.of("keys", key))).pools().get(0).learnLimits()).isFalse();
        assertThat(PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "learn-limits", "true"))).pools().get(0)
                .spec(List.of()).learnLimits()).isTrue();
        assertThat(PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "learn-limits", false))).pools().get(0).learnLimits()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "learn-limits", "yes"))))
                .hasMessageContaining("quotahub.pools.demo.learn-limits must be true or false, was 'yes'");
    }

    @Test
    void blocks_areOffByDefault_needMaxCalls_andTakeAnExpiryOf2sUnlessSet() {
        Map<String, Object> key = Map.of("0", Map.of("id", "k1"));
        assertThat(PoolsBinder.bind(Map.of("demo", Map.of("keys", key))).pools().get(0).blocks().enabled()).isFalse();
        var blocks = PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "blocks", Map.of("max-calls", 20)))).pools().get(0)
                .spec(List.of()).blocks();
        assertThat(blocks.maxCalls()).isEqualTo(20);
        assertThat(blocks.expiry()).isEqualTo(Duration.ofSeconds(2));
        assertThat(PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "blocks", Map.of("max-calls", "5", "expiry", "500ms"))))
                .pools().get(0).blocks().expiry()).isEqualTo(Duration.ofMillis(500));
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "blocks", Map.of("expiry", "1s")))))
                .hasMessage("quotahub.pools.demo.blocks.max-calls is missing (the most calls one block may hold, e.g. 20)");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "blocks", Map.of("max-calls", 5, "expiry", "2h")))))
                .hasMessageContaining("quotahub.pools.demo.blocks: blocks expiry must be > 0 and at most PT1M");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", Map.of("keys", key, "blocks", "20"))))
                .hasMessage("quotahub.pools.demo.blocks must be a mapping, was '20'");
    }

    @Test
    void keys_areTheVocabularyTheStartUpCheckHoldsPropertiesAgainst() {
        assertThat(PoolsBinder.keys()).containsExactlyInAnyOrder(
                "pools.*.max-concurrent", "pools.*.preset", "pools.*.max-tokens-per-call", "pools.*.max-open-leases-per-agent",
                "pools.*.max-share-per-agent", "pools.*.high-priority-agents", "pools.*.high-priority-agents[]", "pools.*.learn-limits",
                "pools.*.blocks", "pools.*.blocks.max-calls", "pools.*.blocks.expiry",
                "pools.*.limits[].requests", "pools.*.limits[].tokens", "pools.*.limits[].per", "pools.*.limits[].calendar-day",
                "pools.*.keys[].id", "pools.*.keys[].secret-env", "pools.*.keys[].secret-file", "pools.*.keys[].max-concurrent",
                "pools.*.keys[].limits[].requests", "pools.*.keys[].limits[].tokens", "pools.*.keys[].limits[].per",
                "pools.*.keys[].limits[].calendar-day");
    }

    @Test
    void secretSource_readsTheEnvironmentFirst_andSaysWhyNotWithoutAValue() {
        assertThat(new SecretSource("K1", "/nonexistent").read(Map.of("K1", " sk-1 ")::get)).isEqualTo(new SecretSource.Read("sk-1"));
        assertThat(new SecretSource("K1", null).read(Map.<String, String>of()::get))
                .isEqualTo(new SecretSource.Unreadable("environment variable K1 is not set or empty"));
        assertThat(new SecretSource(null, null).read(Map.<String, String>of()::get))
                .isEqualTo(new SecretSource.Unreadable("neither secret-env nor secret-file is set"));
        assertThat(new SecretSource.Read("sk-very-secret").toString()).doesNotContain("secret");
    }
}
