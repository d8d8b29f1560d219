package io.quotahub.chaos.suite;

import io.quotahub.chaos.provider.HubConfigKeys;
import io.quotahub.chaos.provider.ProviderKey;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The pools the reload-under-faults scenario writes, and its window count (no cluster). */
class ReloadUnderFaultsScenarioTest {

    private static List<ProviderKey> keys(String pools) {
        Object yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load("quotahub:\n" + pools);
        return HubConfigKeys.parse(yaml, name -> "sk-" + name.toLowerCase(java.util.Locale.ROOT), w -> { });
    }

    private static ProviderKey key(List<ProviderKey> keys, String id) {
        return keys.stream().filter(k -> k.id().equals(id)).findFirst().orElse(null);
    }

    @Test
    void thePoolsItWrites_changeOnlyItsOwnPool_andParseAsTheHubsWould() {
        assertThat(ReloadUnderFaultsScenario.pools(60, false)).isEqualTo(Suite.POOLS);
        List<ProviderKey> lowered = keys(ReloadUnderFaultsScenario.pools(30, true));
        assertThat(key(lowered, "r1").limits().get(0).amount()).isEqualTo(30);
        assertThat(key(lowered, "r2").limits().get(0).amount()).isEqualTo(40);
        assertThat(lowered).hasSize(keys(Suite.POOLS).size() + 1);
        assertThat(key(keys(ReloadUnderFaultsScenario.pools(45, false)), "r2")).isNull();
        // the provider's r2 is the one the hubs get once it is added
        ProviderKey providerR2 = key(keys(Suite.POOLS + ReloadUnderFaultsScenario.PROVIDER_ONLY_KEYS), "r2");
        assertThat(providerR2.limits()).isEqualTo(key(lowered, "r2").limits());
    }

    @Test
    void mostInAWindow_countsOnlyWindowsThatStartInTheSpanAndEndInTime() {
        long s = 1_000_000_000L;
        List<Long> calls = List.of(0L, s, 2 * s, 6 * s, 7 * s, 8 * s, 9 * s);
        assertThat(ReloadUnderFaultsScenario.mostInAWindow(calls, 0, 20 * s, 20 * s)).isEqualTo(4); // [6 s, 11 s)
        assertThat(ReloadUnderFaultsScenario.mostInAWindow(calls, 0, 3 * s, 20 * s)).isEqualTo(3);
        assertThat(ReloadUnderFaultsScenario.mostInAWindow(calls, 0, 20 * s, 10 * s)).as("windows ending by 10 s").isEqualTo(3);
    }

    @Test
    void itIsInTheFullProfileOnly() {
        assertThat(Profile.full(1800).scenarios()).contains("reload-under-faults");
        assertThat(Profile.quick().scenarios()).doesNotContain("reload-under-faults");
        assertThat(Map.of("pool", Suite.POOL_KEYS.get(ReloadUnderFaultsScenario.POOL))).containsEntry("pool", List.of("r1", "r2"));
    }
}
