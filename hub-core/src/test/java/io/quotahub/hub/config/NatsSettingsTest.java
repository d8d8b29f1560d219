package io.quotahub.hub.config;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import io.quotahub.testkit.TestCerts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@code quotahub.nats.*}: the hub authenticates to a nats-server that requires users and mutual TLS. */
class NatsSettingsTest {

    private static final String HUB_PASSWORD = "hub-pw-5e0c2a91";
    private static final String AGENT_PASSWORD = "agent-pw-0b7d44f3";

    @TempDir
    static Path dir;
    static TestCerts certs;
    static Map<String, Object> pools;

    @BeforeAll
    static void setUp() {
        certs = TestCerts.create(dir.resolve("certs"));
        pools = Map.of("demo", Map.of("keys", List.of(key("k1", secretFile(dir, "k1", "sk-nats-settings-key-1"),
                List.of(requests(100, "1m"))))));
    }

    private static NatsServer secureServer() {
        return NatsServer.builder().user("hub", HUB_PASSWORD).user("agent", AGENT_PASSWORD).tls(certs, true).start();
    }

    private static Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    private static Map<String, Object> tls() {
        return Map.of("quotahub.nats.tls.ca-file", certs.caFile().toString(),
                "quotahub.nats.tls.cert-file", certs.clientCert().toString(),
                "quotahub.nats.tls.key-file", certs.clientKey().toString());
    }

    @Test
    void hubWithUserPasswordAndMutualTls_connectsAndGrants() throws Exception {
        Map<String, Object> props = new HashMap<>(tls());
        props.put("quotahub.nats.user-password-file", file("hub.pass", "hub:" + HUB_PASSWORD + "\n").toString());
        props.put("quotahub.nats.inbox-prefix", "_INBOX_hub_main");
        Path agentPass = file("agent.pass", "agent:" + AGENT_PASSWORD + "\n");
        try (NatsServer nats = secureServer();
             TestHub hub = TestHub.start(nats, "main", pools, props);
             QuotaClient client = QuotaClient.builder().servers(nats.url()).agentId("secure-agent")
                     .userPasswordFile(agentPass).tls(certs.caFile(), certs.clientCert(), certs.clientKey()).build();
             Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
            assertThat(lease.hubId()).isEqualTo("main");
            assertThat(lease.apiKey()).isEqualTo("sk-nats-settings-key-1");
            lease.complete(1);
        }
    }

    @Test
    void hubWithAnNkeySeedFileAndServerTls_connects() throws Exception {
        io.nats.client.NKey nkey = io.nats.client.NKey.createUser(new java.security.SecureRandom());
        Path seed = file("hub.nk", new String(nkey.getSeed()) + "\n");
        try (NatsServer nats = NatsServer.builder().nkeyUser(new String(nkey.getPublicKey())).tls(certs, false).start();
             TestHub hub = TestHub.start(nats, "main", pools, Map.of("quotahub.nats.credentials-file", seed.toString(),
                     "quotahub.nats.tls.ca-file", certs.caFile().toString()))) {
            assertThat(hub.bean(HubRuntime.class).ready()).isTrue();
            assertThat(hub.bean(NatsSettings.class).describe("main")).isEqualTo("credentials " + seed + ", TLS, inbox prefix _QH.hub.main");
        }
    }

    @Test
    void wrongPassword_keepsTheHubNotReady_sayingWhyWithoutThePassword() throws Exception {
        Map<String, Object> props = new HashMap<>(tls());
        props.put("quotahub.nats.user-password-file", file("wrong.pass", "hub:wrong-pw-d41d8cd9\n").toString());
        try (NatsServer nats = secureServer(); ApplicationContext ctx = hubContext(nats, props)) {
            HubRuntime runtime = ctx.getBean(HubRuntime.class);
            await().atMost(Duration.ofSeconds(15)).until(() -> String.valueOf(runtime.notReadyReason()).contains("Authorization"));
            assertThat(runtime.ready()).isFalse();
            assertThat(runtime.notReadyReason()).contains(nats.url()).doesNotContain("wrong-pw-d41d8cd9");
        }
    }

    @Test
    void noNatsCredentialInLogsOrReadiness() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        List<String> written = new ArrayList<>();
        Map<String, Object> good = new HashMap<>(tls());
        good.put("quotahub.nats.user-password-file", file("leak-good.pass", "hub:" + HUB_PASSWORD).toString());
        Map<String, Object> wrong = new HashMap<>(tls());
        wrong.put("quotahub.nats.user-password-file", file("leak-wrong.pass", "hub:wrong-pw-5f4dcc3b").toString());
        try (NatsServer nats = secureServer()) {
            try (TestHub hub = TestHub.start(nats, "main", pools, good)) {
                written.add(hub.get("/health/readiness").body());
            }
            try (ApplicationContext ctx = hubContext(nats, wrong)) {
                HubRuntime runtime = ctx.getBean(HubRuntime.class);
                await().atMost(Duration.ofSeconds(15)).until(() -> String.valueOf(runtime.notReadyReason()).contains("Authorization"));
                written.add(runtime.notReadyReason());
            }
        } finally {
            root.detachAppender(logs);
        }
        logs.list.forEach(e -> written.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage())));

        assertThat(written).anyMatch(line -> line.contains("connecting to NATS") && line.contains("leak-good.pass"));
        assertThat(written).noneMatch(line -> line.contains(HUB_PASSWORD) || line.contains("wrong-pw-5f4dcc3b"));
    }

    @Test
    void missingFile_stopsStartUpNamingTheSetting() {
        Map<String, Object> props = Map.of("quotahub.nats.user-password-file", dir.resolve("absent.pass").toString());
        try (NatsServer nats = NatsServer.start()) {
            assertThatThrownBy(() -> hubContext(nats, props).close())
                    .satisfies(e -> assertThat(messages(e)).contains("quotahub.nats.user-password-file").contains("does not exist"));
        }
    }

    @Test
    void badSettings_areRefusedWithTheSettingNamedAndNoSecret() throws Exception {
        Path pass = file("ok.pass", "hub:pw-never-shown-1234");
        assertThatThrownBy(() -> new NatsSettings(file("c.creds", "SUbad-seed-never-shown").toString(), null, null, null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.nats.credentials-file")
                .hasMessageNotContaining("bad-seed-never-shown");
        assertThatThrownBy(() -> new NatsSettings(file("c2.creds", "x").toString(), pass.toString(), null, null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("exclusive");
        assertThatThrownBy(() -> new NatsSettings(null, file("bad.pass", "pw-never-shown-1234").toString(), null, null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.nats.user-password-file")
                .hasMessageNotContaining("pw-never-shown-1234");
        assertThatThrownBy(() -> new NatsSettings(null, null, "_INBOX.>", null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.nats.inbox-prefix");
        assertThatThrownBy(() -> new NatsSettings.Tls(null, certs.clientCert().toString(), null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.nats.tls.key-file");
        assertThatThrownBy(() -> new NatsSettings(null, null, null,
                new NatsSettings.Tls(certs.clientKey().toString(), null, null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quotahub.nats.tls")
                .hasMessageContaining("no PEM certificate");
        assertThat(new NatsSettings(null, pass.toString(), null, null).describe("main"))
                .contains(pass.toString()).doesNotContain("pw-never-shown-1234");
    }

    @Test
    void hubWithItsProductionUser_connectsUnderItsOwnInbox() {
        try (NatsServer nats = NatsServer.start(); TestHub hub = TestHub.start(nats, "main", pools)) {
            assertThat(hub.bean(HubRuntime.class).ready()).isTrue();
            assertThat(hub.bean(NatsSettings.class).describe("main"))
                    .isEqualTo("user/password " + nats.hubCredentials() + ", no TLS, inbox prefix _QH.hub.main");
        }
    }

    @Test
    void noNatsSettings_meanNoCredentialsAndTheHubsOwnInbox() {
        assertThat(new NatsSettings(null, null, null, null).describe("edge")).isEqualTo("no credentials, no TLS, inbox prefix _QH.hub.edge");
        assertThat(new NatsSettings(null, null, "_INBOX_custom", null).describe("edge")).endsWith("inbox prefix _INBOX_custom");
    }

    /** A hub context that is not awaited (TestHub waits until ready). */
    private static ApplicationContext hubContext(NatsServer nats, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(extra);
        props.put("micronaut.server.port", -1);
        props.put("quotahub.hub-id", "main");
        props.put("quotahub.nats-url", nats.url());
        props.put("quotahub.pools", pools);
        return ApplicationContext.run(EmbeddedServer.class, props, "test").getApplicationContext();
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}
