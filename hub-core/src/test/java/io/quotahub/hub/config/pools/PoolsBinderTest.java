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
                "pools.*.keys[].limits[].calendar-day", "pools.*.fallback", "pools.*.fallback[]", "pools.*.mode",
                "pools.*.enforce-percent", "pools.*.limits[].mode", "pools.*.limits[].enforce-percent",
                "pools.*.keys[].limits[].mode", "pools.*.keys[].limits[].enforce-percent");
    }

    private static Map<String, Object> withFallback(Object fallback) {
        Map<String, Object> p = pool(Map.of(), Map.of("requests", 1, "per", "1m"));
        if (fallback != null) {
            p.put("fallback", fallback);
        }
        return p;
    }

    @Test
    void fallback_isAnOrderedListOfOtherPools_asAListOrOneCommaSeparatedText() {
        Map<String, Object> tree = new java.util.LinkedHashMap<>();
        tree.put("a", withFallback(List.of("c", "b")));
        tree.put("b", withFallback("c"));
        tree.put("c", withFallback(null));
        PoolsSettings bound = PoolsBinder.bind(tree);

        assertThat(bound.pools().get(0).fallback()).containsExactly("c", "b");
        assertThat(bound.pools().get(0).spec(List.of()).fallback()).containsExactly("c", "b");
        assertThat(bound.pools().get(1).fallback()).containsExactly("c");
        assertThat(bound.pools().get(2).fallback()).isEmpty();
        assertThat(PoolsBinder.bind(Map.of("a", withFallback("b, c"), "b", withFallback(null), "c", withFallback(null)))
                .pools().stream().filter(p -> p.name().equals("a")).findFirst().orElseThrow().fallback()).containsExactly("b", "c");
    }

    @Test
    void fallback_toAnUnknownPool_itself_twice_orInACycle_isAnErrorNamingThePath() {
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("a", withFallback(List.of("nope")))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("quotahub.pools.a.fallback[0] names no configured pool: 'nope'; configured pools: [a]");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("a", withFallback(List.of("a")))))
                .hasMessage("quotahub.pools.a.fallback[0] names the pool itself: a pool cannot be its own fallback");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("a", withFallback(List.of("b", "b")), "b", withFallback(null))))
                .hasMessage("quotahub.pools.a.fallback[1] names pool 'b' twice");
        Map<String, Object> cycle = new java.util.LinkedHashMap<>();
        cycle.put("a", withFallback(List.of("b")));
        cycle.put("b", withFallback(List.of("c")));
        cycle.put("c", withFallback(List.of("a")));
        assertThatThrownBy(() -> PoolsBinder.bind(cycle))
                .hasMessage("quotahub.pools.a.fallback makes a cycle: a -> b -> c -> a; a pool must not reach itself through fallbacks");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("a", withFallback(List.of(Map.of("x", 1))))))
                .hasMessageStartingWith("quotahub.pools.a.fallback[0] must be a pool name");
    }

    @Test
    void mode_isEnforceByDefault_shadowOrCanaryWithAPercentage_onAPoolOrALimit() {
        Map<String, Object> p = pool(Map.of("mode", "canary", "enforce-percent", 10),
                Map.of("requests", 1, "per", "1m", "mode", "shadow"), Map.of("tokens", 5, "per", "1m"));
        PoolSettings bound = PoolsBinder.bind(Map.of("demo", p)).pools().get(0);

        assertThat(bound.enforcement()).isEqualTo(io.quotahub.engine.Enforcement.canary(10));
        assertThat(bound.keys().get(0).limits().get(0).enforcement()).isEqualTo(io.quotahub.engine.Enforcement.SHADOW);
        assertThat(bound.keys().get(0).limits().get(1).enforcement()).isEqualTo(io.quotahub.engine.Enforcement.ENFORCED);
        assertThat(PoolsBinder.bind(Map.of("demo", pool(Map.of(), Map.of("requests", 1, "per", "1m")))).pools().get(0).enforcement())
                .isEqualTo(io.quotahub.engine.Enforcement.ENFORCED);
    }

    @Test
    void aBadMode_orPercentage_isAnErrorNamingThePath() {
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of("mode", "watch"), Map.of("requests", 1, "per", "1m")))))
                .hasMessage("quotahub.pools.demo.mode must be one of enforce, shadow, canary, was 'watch'");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of("mode", "canary"), Map.of("requests", 1, "per", "1m")))))
                .hasMessageStartingWith("quotahub.pools.demo.enforce-percent is missing");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of("mode", "canary", "enforce-percent", 100),
                Map.of("requests", 1, "per", "1m"))))).hasMessageStartingWith("quotahub.pools.demo.enforce-percent must be between 1 and 99");
        assertThatThrownBy(() -> PoolsBinder.bind(Map.of("demo", pool(Map.of(),
                Map.of("requests", 1, "per", "1m", "mode", "shadow", "enforce-percent", 5)))))
                .hasMessage("quotahub.pools.demo.keys[0].limits[0].enforce-percent is for mode: canary only, but mode is shadow");
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
