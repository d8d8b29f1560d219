package io.quotahub.hub.diagnostics;

import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.tokenEntry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The security check on the shipped application.yml of hub-main and hub-edge (endpoint settings
 * as shipped; port, hub id and NATS URL the test's own): PASS once tokens are configured, WARN
 * for protected mode alone without them, FAIL when a token file is world-readable.
 */
class SecurityCheckTest {

    @TempDir
    static Path dir;
    static NatsServer natsMain;
    static NatsServer natsEdge;

    @BeforeAll
    static void start() {
        natsMain = NatsServer.start();
        natsEdge = NatsServer.builder().hub("edge").start();
    }

    @AfterAll
    static void stop() {
        natsMain.close();
        natsEdge.close();
    }

    /** The shipped file's settings as flat properties, less those TestHub sets itself. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> shipped(String module) throws IOException {
        Path file = Path.of("..", module, "src", "main", "resources", "application.yml");
        Map<String, Object> flat = new HashMap<>();
        try (Reader in = Files.newBufferedReader(file)) {
            flatten("", (Map<String, Object>) new Yaml().load(in), flat);
        }
        flat.keySet().removeIf(k -> k.equals("micronaut.server.port") || k.equals("quotahub.hub-id") || k.equals("quotahub.nats-url"));
        assertThat(flat).as("settings read from %s", file).containsKey("endpoints.health.details-visible")
                .doesNotContainKeys("endpoints.all.sensitive", "endpoints.prometheus.sensitive");
        return flat;
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> map, Map<String, Object> out) {
        map.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) {
                flatten(prefix + k + ".", (Map<String, Object>) m, out);
            } else {
                out.put(prefix + k, v);
            }
        });
    }

    private static Path privateFile(String name, String content, String mode) throws IOException {
        Path file = Files.writeString(dir.resolve(name), content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private static DiagnosticsReport.Check security(Map<String, Object> extra, String module) throws IOException {
        return security(extra, module, module.equals("hub-main") ? natsMain : natsEdge);
    }

    private static DiagnosticsReport.Check security(Map<String, Object> extra, String module, NatsServer nats) throws IOException {
        Map<String, Object> props = new HashMap<>(shipped(module));
        props.putAll(extra);
        Path secret = privateFile(module + "-k1", "sk-security-check-" + module + "-0123", "rw-------");
        // each hub connects as its production NATS user, as the shipped hub-*.yml under infra/hub say
        try (TestHub hub = TestHub.start(nats, module.equals("hub-main") ? "main" : "edge",
                Map.of("demo", Map.of("keys", List.of(key("k1", secret, List.of(requests(10, "1h")))))), props)) {
            return hub.bean(Diagnostics.class).run(DiagnosticLevel.CRITICAL).checks().stream()
                    .filter(c -> c.name().equals("security-configuration")).findFirst().orElseThrow();
        }
    }

    @Test
    void aHubWithoutANatsUser_warnsThatAnyoneCanConnect() throws IOException {
        Path ops = privateFile("nouser-ops.token", "security-check-ops-token-1234567", "rw-------");
        // hub-edge on main's server has no production user there: it connects without credentials
        DiagnosticsReport.Check check = security(Map.of("quotahub.security.tokens", List.of(tokenEntry("ops", "OPERATOR", ops))),
                "hub-edge", natsMain);

        assertThat(check.status()).as(check.toString()).isEqualTo("WARN");
        assertThat(check.detail()).contains("has no user").contains("lets anyone in");
        assertThat(check.recommendation()).contains("infra/nats/make-users").contains("quotahub.nats.user-password-file");
    }

    @Test
    void aWorldReadableNatsCredentialsFile_fails() throws IOException {
        Path ops = privateFile("creds-ops.token", "security-check-ops-token-1234567", "rw-------");
        Path creds = privateFile("hub-main.userpass", Files.readString(natsMain.hubCredentials()), "rw-r--r--");
        DiagnosticsReport.Check check = security(Map.of("quotahub.security.tokens", List.of(tokenEntry("ops", "OPERATOR", ops)),
                "quotahub.nats.user-password-file", creds.toString()), "hub-main");

        assertThat(check.status()).as(check.toString()).isEqualTo("FAIL");
        assertThat(check.detail()).contains("the hub's NATS credentials").contains("world-readable")
                .doesNotContain(Files.readString(creds).trim().split(":")[1]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hub-main", "hub-edge"})
    void theShippedConfig_passesWithTokens(String module) throws IOException {
        Path ops = privateFile(module + "-ops.token", "security-check-ops-token-1234567", "rw-------");
        Path viewer = privateFile(module + "-viewer.token", "security-check-viewer-token-7654321", "r--r-----");
        DiagnosticsReport.Check check = security(Map.of("quotahub.security.tokens",
                List.of(tokenEntry("ops", "OPERATOR", ops), tokenEntry("grafana", "VIEWER", viewer))), module);

        assertThat(check.status()).as(check.toString()).isEqualTo("PASS");
        assertThat(check.detail()).contains("tokens: ops (OPERATOR), grafana (VIEWER)").doesNotContain("security-check-ops-token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hub-main", "hub-edge"})
    void theShippedConfig_withoutTokens_warnsOfProtectedModeOnly(String module) throws IOException {
        DiagnosticsReport.Check check = security(Map.of(), module);

        assertThat(check.status()).as(check.toString()).isEqualTo("WARN");
        assertThat(check.detail()).contains("Protected mode").contains("127.0.0.1 only").doesNotContain("sensitive");
        assertThat(check.recommendation()).contains("quotahub.security.tokens");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hub-main"})
    void aWorldReadableTokenFile_fails_andSwitchingAuthenticationOff_fails(String module) throws IOException {
        Path ops = privateFile("open-ops.token", "security-check-open-token-1234567", "rw-r--r--");
        DiagnosticsReport.Check check = security(Map.of("quotahub.security.tokens", List.of(tokenEntry("ops", "OPERATOR", ops)),
                "micronaut.security.enabled", false), module);

        assertThat(check.status()).isEqualTo("FAIL");
        assertThat(check.detail()).contains("secret file of token ops").contains("world-readable")
                .contains("micronaut.security.enabled=false").doesNotContain("security-check-open-token");
    }
}
