package io.quotahub.hub.config;

import io.quotahub.hub.config.pools.PoolsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading the pools again from the files a hub was started with (a reload). */
class PoolsFilesTest {

    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private static final String POOLS = """
            quotahub:
              pools:
                demo:
                  keys:
                    - id: k1
                      secret-env: K1
                      limits:
                        - { requests: 60, per: 1m }
            """;

    @Test
    void readsThePoolsOfAFileNamedLikeMicronautConfigFiles_laterFilesOverridingEarlierOnes() throws Exception {
        Path pools = file("pools.yml", POOLS);
        Path hub = file("hub-main.yml", """
                quotahub:
                  hub-id: main
                  pools:
                    demo:
                      max-concurrent: 3
                """);

        PoolsSettings settings = PoolsFiles.of(pools + "," + hub).read();

        assertThat(settings.pools()).hasSize(1);
        assertThat(settings.pools().get(0).maxConcurrent()).isEqualTo(3);
        assertThat(settings.pools().get(0).keys().get(0).limits().get(0).capacity()).isEqualTo(60);
        assertThat(PoolsFiles.of("file:" + pools).files()).containsExactly(pools);
        assertThat(PoolsFiles.of(null).files()).isEmpty();
    }

    @Test
    void refusesWithThePathOrFile_unknownSettingsBadValuesDuplicatesAndBrokenYaml() throws Exception {
        List<String[]> bad = List.of(
                new String[] {POOLS.replace("secret-env", "secret-evn"), "unknown setting quotahub.pools.demo.keys[0].secret-evn: did you mean"},
                new String[] {POOLS.replace("per: 1m", "per: soon"), "quotahub.pools.demo.keys[0].limits[0].per"},
                new String[] {POOLS.replace("        - id: k1\n", "        - id: k1\n          secret-env: K0\n        - id: k1\n"), "used twice"},
                new String[] {POOLS.replace("    demo:\n", "    demo:\n      preset: STANDARD\n      preset: PREMIUM\n"), "not valid YAML"},
                new String[] {"quotahub:\n  hub-id: main\n", "has quotahub.pools: a reload would remove every pool"});
        for (String[] b : bad) {
            Path f = file("pools.yml", b[0]);
            assertThatThrownBy(() -> PoolsFiles.of(f.toString()).read()).as(b[1]).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(b[1]);
        }
        assertThatThrownBy(() -> PoolsFiles.of(null).read()).hasMessageContaining("MICRONAUT_CONFIG_FILES is not set");
        assertThatThrownBy(() -> PoolsFiles.of(dir.resolve("gone.yml").toString()).read()).hasMessageContaining("cannot read");
    }
}
