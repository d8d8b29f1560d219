package io.quotahub.agent;

import io.nats.client.NKey;
import io.nats.client.Options;
import io.quotahub.testkit.NatsServer;
import io.quotahub.testkit.TestCerts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client against real nats-servers that require users and (mutual) TLS: credentials and TLS
 * apply to both servers' connections, so failover keeps working; refusals say why without a secret.
 */
class SecureConnectionTest {

    private static final String AGENT_PASSWORD = "agent-pw-7d1f0c9e";
    private static final String HUB_PASSWORD = "hub-pw-3b8a55e2";

    @TempDir
    static Path dir;
    static TestCerts certs;

    @BeforeAll
    static void makeCertificates() {
        certs = TestCerts.create(dir.resolve("certs"));
    }

    private static NatsServer secureServer() {
        return NatsServer.builder().user("agent", AGENT_PASSWORD).user("hub", HUB_PASSWORD).tls(certs, true).start();
    }

    private static Options hubOptions(NatsServer server) {
        SSLContext tls = NatsFiles.sslContext(certs.caFile(), certs.clientCert(), certs.clientKey());
        return new Options.Builder().server(server.url()).userInfo("hub", HUB_PASSWORD).sslContext(tls).build();
    }

    private static Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void userPasswordAndMutualTls_onBothServers_failsOverWhenTheLocalServerIsKilled() throws Exception {
        Path password = file("agent.pass", "agent:" + AGENT_PASSWORD + "\n");
        try (NatsServer local = secureServer();
             NatsServer remote = secureServer();
             FakeHub main = FakeHub.start(hubOptions(local), "main");
             FakeHub edge = FakeHub.start(hubOptions(remote), "edge");
             QuotaClient client = QuotaClient.builder().servers(local.url(), remote.url()).agentId("a1")
                     .userPasswordFile(password)
                     .tls(certs.caFile(), certs.clientCert(), certs.clientKey())
                     .build()) {
            try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                assertThat(lease.hubId()).isEqualTo("main");
            }

            local.kill();

            try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                assertThat(lease.hubId()).isEqualTo("edge");
            }
            assertThat(edge.settles).hasSize(1);
            assertThat(main.acquires).hasSize(1);
        }
    }

    @Test
    void readmeExample_authenticatesWithMutualTlsOnBothServers() throws Exception {
        Path userPassword = file("readme.pass", "agent:" + AGENT_PASSWORD + "\n");
        try (NatsServer local = secureServer();
             NatsServer remote = secureServer();
             FakeHub hub = FakeHub.start(hubOptions(local), "main")) {
            // ---- README example (paths and URLs point at the test's files and servers) ----
            QuotaClient client = QuotaClient.builder()
                    .servers(local.url(), remote.url())
                    .agentId("summarizer-1")
                    .userPasswordFile(userPassword)
                    .tls(certs.caFile(),
                            certs.clientCert(), certs.clientKey())
                    .inboxPrefix("_INBOX_summarizer-1")
                    .build();
            // ---- end of README example ----
            try (client; Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                assertThat(lease.hubId()).isEqualTo("main");
            }
            assertThat(hub.acquires).hasSize(1);
        }
    }

    @Test
    void wrongPassword_isHubUnavailableNamingTheServerButNotThePassword() throws Exception {
        Path wrong = file("wrong.pass", "agent:not-the-password-91c2\n");
        try (NatsServer server = secureServer()) {
            assertThatThrownBy(() -> QuotaClient.builder().servers(server.url()).userPasswordFile(wrong)
                    .tls(certs.caFile(), certs.clientCert(), certs.clientKey()).build())
                    .isInstanceOf(HubUnavailableException.class)
                    .hasMessageContaining(server.url())
                    .hasMessageContaining("Authorization Violation")
                    .hasMessageNotContaining("not-the-password-91c2")
                    .hasMessageNotContaining(AGENT_PASSWORD);
        }
    }

    @Test
    void productionAgentUser_getsItsGrantsUnderItsOwnInbox_withoutAnInboxPrefixSet() throws Exception {
        try (NatsServer server = NatsServer.start();
             FakeHub hub = FakeHub.start(server.url(), "main");
             QuotaClient client = QuotaClient.builder().servers(server.url()).agentId("a1")
                     .userPasswordFile(server.credentials(NatsServer.AGENT)).build();
             Lease lease = client.acquire("demo", 1, java.time.Duration.ofSeconds(5))) {
            assertThat(lease.apiKey()).isNotEmpty();
            assertThat(hub.acquireReplySubjects).isNotEmpty().allMatch(r -> r.startsWith("_QH.agent." + NatsServer.AGENT + "."));
        }
    }

    @Test
    void aUserThatCannotNameAnInbox_isRefusedAtBuild_unlessAnInboxPrefixIsSet() throws Exception {
        Path dotted = file("dotted.pass", "team.agent:pw-x\n");
        assertThatThrownBy(() -> QuotaClient.builder().servers("nats://127.0.0.1:1").userPasswordFile(dotted).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("team.agent").hasMessageContaining("inboxPrefix")
                .hasMessageNotContaining("pw-x");
    }

    @Test
    void missingCredentials_isHubUnavailableNamingTheServer() {
        try (NatsServer server = secureServer()) {
            assertThatThrownBy(() -> QuotaClient.builder().servers(server.url())
                    .tls(certs.caFile(), certs.clientCert(), certs.clientKey()).build())
                    .isInstanceOf(HubUnavailableException.class)
                    .hasMessageContaining(server.url())
                    .hasMessageContaining("Authorization Violation");
        }
    }

    @Test
    void serverCertificateFromAnotherCa_isRefused() {
        TestCerts stranger = TestCerts.create(dir.resolve("stranger"));
        try (NatsServer server = secureServer()) {
            assertThatThrownBy(() -> QuotaClient.builder().servers(server.url())
                    .tls(stranger.caFile(), stranger.clientCert(), stranger.clientKey()).build())
                    .isInstanceOf(HubUnavailableException.class)
                    .hasMessageContaining(server.url());
        }
    }

    @Test
    void nkeySeedFile_authenticatesAsTheNkeyUser() throws Exception {
        NKey user = NKey.createUser(new SecureRandom());
        Path seed = file("agent.nk", new String(user.getSeed()) + "\n");
        try (NatsServer server = NatsServer.builder().nkeyUser(new String(user.getPublicKey()))
                     .user("hub", HUB_PASSWORD).tls(certs, false).start();
             FakeHub hub = FakeHub.start(hubOptions(server), "main");
             QuotaClient client = QuotaClient.builder().servers(server.url()).agentId("nk")
                     .credentialsFile(seed).tls(certs.caFile()).build()) {
            try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                assertThat(lease.hubId()).isEqualTo("main");
            }
            assertThat(hub.acquires).hasSize(1);
        }
    }

    @Test
    void inboxPrefix_repliesComeOnTheAgentsOwnPrefix_whichIsAllItMayRead() throws Exception {
        String agentOnlyOwnInbox = "{user: \"agent\", password: \"" + AGENT_PASSWORD + "\", permissions: {"
                + " publish: [\"qh.v1.>\"], subscribe: [\"_INBOX_a1.>\", \"qh.v1.hubs\"] }}";
        Path password = file("agent-a1.pass", "agent:" + AGENT_PASSWORD);
        try (NatsServer server = NatsServer.builder().userEntry(agentOnlyOwnInbox).user("hub", HUB_PASSWORD)
                     .tls(certs, false).start();
             FakeHub hub = FakeHub.start(hubOptions(server), "main")) {
            try (QuotaClient client = QuotaClient.builder().servers(server.url()).agentId("a1")
                    .userPasswordFile(password).tls(certs.caFile()).inboxPrefix("_INBOX_a1").build()) {
                try (Lease lease = client.acquire("demo", 1, Duration.ofSeconds(5))) {
                    assertThat(lease.hubId()).isEqualTo("main");
                }
            }
            try (QuotaClient defaultInbox = QuotaClient.builder().servers(server.url()).agentId("a1")
                    .userPasswordFile(password).tls(certs.caFile()).requestTimeout(Duration.ofMillis(200)).build()) {
                assertThatThrownBy(() -> defaultInbox.acquire("demo", 1, Duration.ofSeconds(1)))
                        .isInstanceOf(HubUnavailableException.class);
            }
        }
    }

    @Test
    void badUserPasswordFile_isRefusedWithoutShowingThePassword() throws Exception {
        Path noColon = file("nocolon.pass", "agent-secret-pw-4411\n");
        Path twoLines = file("twolines.pass", "agent:secret-pw-4411\nmore\n");
        Path emptyPassword = file("emptypw.pass", "agent:\n");
        assertThatThrownBy(() -> QuotaClient.builder().userPasswordFile(noColon))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(noColon.toString())
                .hasMessageContaining("user:password").hasMessageNotContaining("secret-pw-4411");
        assertThatThrownBy(() -> QuotaClient.builder().userPasswordFile(twoLines))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one line")
                .hasMessageNotContaining("secret-pw-4411");
        assertThatThrownBy(() -> QuotaClient.builder().userPasswordFile(emptyPassword))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> QuotaClient.builder().userPasswordFile(dir.resolve("absent.pass")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        NKey user = NKey.createUser(new SecureRandom());
        Path seed = file("both.nk", new String(user.getSeed()));
        assertThatThrownBy(() -> QuotaClient.builder().credentialsFile(seed).userPasswordFile(file("both.pass", "a:b")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
        assertThat(NatsFiles.userPassword(file("ok.pass", "agent:p:w-with-colon")).toString())
                .isEqualTo("UserPassword[user=agent, password=…]");
        assertThat(new String(NatsFiles.userPassword(dir.resolve("ok.pass")).password())).isEqualTo("p:w-with-colon");
    }

    @Test
    void badCredentialsAndTlsFiles_areRefusedWithTheFileNamed() throws Exception {
        Path notASeed = file("bad.nk", "SUAnot-a-valid-seed-7c3d\n");
        assertThatThrownBy(() -> QuotaClient.builder().credentialsFile(notASeed))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(notASeed.toString())
                .hasMessageNotContaining("not-a-valid-seed-7c3d");
        Path rsaKey = file("legacy.key", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> QuotaClient.builder().tls(certs.caFile(), certs.clientCert(), rsaKey))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pkcs8");
        assertThatThrownBy(() -> QuotaClient.builder().tls(certs.clientKey()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no PEM certificate");
    }

    @Test
    void credsFile_isReadAsJwtPlusSeed_andATruncatedOneIsRefused() throws Exception {
        NKey account = NKey.createAccount(new SecureRandom());
        NKey user = NKey.createUser(new SecureRandom());
        String jwt = io.nats.client.support.JwtUtils.issueUserJWT(account, new String(account.getPublicKey()),
                new String(user.getPublicKey()));
        String jwtBlock = "-----BEGIN NATS USER JWT-----\n" + jwt + "\n------END NATS USER JWT------\n\n";
        String seedBlock = "-----BEGIN USER NKEY SEED-----\n" + new String(user.getSeed()) + "\n------END USER NKEY SEED------\n";
        Path creds = file("agent.creds", jwtBlock + "*** IMPORTANT: keep this file secret ***\n\n" + seedBlock);
        Path truncated = file("truncated.creds", jwtBlock);

        io.nats.client.AuthHandler handler = NatsFiles.credentials(creds);

        assertThat(new String(handler.getJWT())).isEqualTo(jwt);
        assertThat(new String(handler.getID())).isEqualTo(new String(user.getPublicKey()));
        assertThatThrownBy(() -> NatsFiles.credentials(truncated)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(truncated.toString()).hasMessageContaining(".creds");
    }

    @Test
    void inboxPrefix_isValidated() {
        assertThatThrownBy(() -> QuotaClient.builder().inboxPrefix("_INBOX.*")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inboxPrefix");
        assertThatThrownBy(() -> QuotaClient.builder().inboxPrefix("a..b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuotaClient.builder().inboxPrefix("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuotaClient.builder().inboxPrefix("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(NatsFiles.inboxPrefix("_INBOX_a1.")).isEqualTo("_INBOX_a1");
    }

    @Test
    void credentialsWithAGivenConnection_areRefused() throws Exception {
        try (NatsServer server = NatsServer.start();
             io.nats.client.Connection c = io.nats.client.Nats.connect(server.url())) {
            assertThatThrownBy(() -> QuotaClient.builder().connection(c).inboxPrefix("_INBOX_x").build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given connection");
        }
    }
}
