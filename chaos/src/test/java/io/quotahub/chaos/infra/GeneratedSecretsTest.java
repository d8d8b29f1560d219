package io.quotahub.chaos.infra;

import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every secret {@code infra/nats/new-secret} makes (the demo, install.sh and the netns pair use it)
 * is accepted by nats-server in the shipped configs, whatever its random bytes: nats-server parses
 * the value of {@code $QH_LEAF_PASSWORD} as config, and bare hex such as {@code 8e37b228…} reads
 * as a number and stops the server. Checked with {@code nats-server -t} (parse the config, start
 * nothing) on {@code infra/nats/main.conf} and {@code edge.conf}, their TLS files made by
 * {@code make-leaf-tls.sh} (the server reads them while it checks).
 */
class GeneratedSecretsTest {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private static final int SECRETS = 300;

    @TempDir
    static Path dir;

    @BeforeAll
    static void shippedConfigsWithTheirTlsFiles() throws Exception {
        Path tls = dir.resolve("tls");
        Process p = new ProcessBuilder(ROOT.resolve("infra/nats/make-leaf-tls.sh").toString(), tls.toString(), "127.0.0.1")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        for (String hub : new String[] {"main", "edge"}) {
            // each config beside its users, as install.sh lays them out (infra/nats/make-users)
            Path home = Files.createDirectories(dir.resolve(hub));
            Process users = new ProcessBuilder(ROOT.resolve("infra/nats/make-users").toString(), home.toString(), "--hub", hub,
                    "--agent", "agents").redirectErrorStream(true).start();
            String usersOut = new String(users.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(users.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(users.exitValue()).as(usersOut).isZero();
            Files.writeString(home.resolve(hub + ".conf"), Files.readString(ROOT.resolve("infra/nats/" + hub + ".conf"))
                    .replace("/etc/quotahub/tls", tls.toString()));
        }
    }

    @Test
    void hexThatReadsAsANumberStopsNatsServerButTheGeneratorsFormOfItDoesNot() throws Exception {
        for (String hex : List.of("8e37b2281c9a4d0e7f6a5b4c3d2e1f00", "276e068b1c9a4d0e7f6a5b4c3d2e1f00")) {
            assertThat(mainConfAccepts(hex)).as("bare %s (as generated before)", hex).isFalse();
            assertThat(mainConfAccepts("qh" + hex)).as("qh%s (the generator's form)", hex).isTrue();
        }
    }

    @Test
    void everyGeneratedSecretIsAcceptedByBothShippedConfigs() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < SECRETS; i++) {
            String secret = newSecret();
            assertThat(secret).matches("qh[0-9a-f]{32}");
            assertThat(seen.add(secret)).as("secrets are random").isTrue();
            assertThat(mainConfAccepts(secret)).as("main.conf with QH_LEAF_PASSWORD=%s", secret).isTrue();
            assertThat(check("edge.conf", Map.of("QH_LEAF_URL", "nats-leaf://qhleaf:" + secret + "@192.0.2.1:7422")))
                    .as("edge.conf with the leaf URL of %s", secret).isTrue();
        }
    }

    private static String newSecret() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(ROOT.resolve("infra/nats/new-secret").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static boolean mainConfAccepts(String password) throws IOException, InterruptedException {
        return check("main.conf", Map.of("QH_LEAF_PASSWORD", password));
    }

    /** Whether {@code nats-server -t} accepts the shipped config with these variables in its environment. */
    private static boolean check(String conf, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(NatsServer.binary(), "-t", "-c", dir.resolve(conf.replace(".conf", "")).resolve(conf).toString())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0;
    }
}
