package io.quotahub.chaos.infra;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.chaos.stranger.Stranger;
import io.quotahub.testkit.FreePorts;
import io.quotahub.testkit.HubProcess;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * MainPC as installed: nats-server on the shipped {@code infra/nats/main.conf} with the users of
 * {@code infra/nats/make-users}, hub-main's jar on the shipped {@code infra/hub/hub-main.yml}
 * (only ports and file paths rewritten, as install.sh lays them out). Tried as a stranger would
 * ({@link Stranger}), every attack is refused; the site's agent user still gets leases; the hub's
 * SECURITY diagnostic passes.
 */
class ShippedSiteIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();

    @TempDir
    static Path site;
    private static Process nats;
    private static HubProcess hub;
    private static int natsPort;
    private static int leafPort;
    private static String opsToken;

    @BeforeAll
    static void install() throws Exception {
        run(ROOT.resolve("infra/nats/make-users").toString(), site.toString(), "--hub", "main", "--agent", "agents");
        run(ROOT.resolve("infra/nats/make-leaf-tls.sh").toString(), site.resolve("tls").toString(), "127.0.0.1", "localhost");
        natsPort = FreePorts.next();
        leafPort = FreePorts.next();
        String conf = Files.readString(ROOT.resolve("infra/nats/main.conf"))
                .replace("port: 4222", "port: " + natsPort)
                .replace("port: 7422", "port: " + leafPort)
                .replace("\"127.0.0.1:8222\"", "\"127.0.0.1:" + FreePorts.next() + "\"")
                .replace("host: 0.0.0.0", "host: 127.0.0.1")
                .replace("/var/lib/quotahub/nats", site.resolve("nats-store").toString())
                .replace("/etc/quotahub/tls", site.resolve("tls").toString());
        Path confFile = Files.writeString(site.resolve("nats-main.conf"), conf);
        ProcessBuilder pb = new ProcessBuilder(NatsServer.binary(), "-c", confFile.toString()).redirectErrorStream(true)
                .redirectOutput(site.resolve("nats.log").toFile());
        pb.environment().put("QH_LEAF_PASSWORD", "qh0123456789abcdef0123456789abcdef");
        nats = pb.start();

        Files.createDirectories(site.resolve("keys"));
        Files.createDirectories(site.resolve("tokens"));
        for (String key : List.of("gemini-primary", "gemini-backup")) {
            secret(site.resolve("keys").resolve(key), "sk-shipped-site-" + key + "-0123456789");
        }
        opsToken = "qh-ops-shipped-site-0123456789abcdef";
        secret(site.resolve("tokens/ops.token"), opsToken);
        secret(site.resolve("tokens/viewer.token"), "qh-viewer-shipped-site-0123456789abcdef");
        secret(site.resolve("tokens/agent.token"), "qh-agent-shipped-site-0123456789abcdef");
        String yml = Files.readString(ROOT.resolve("infra/hub/hub-main.yml"))
                .replace("nats://127.0.0.1:4222", "nats://127.0.0.1:" + natsPort)
                .replace("/etc/quotahub/", site + "/");
        Path config = Files.writeString(site.resolve("hub-main.yml"), yml);
        hub = HubProcess.start(ROOT.resolve("hub-main/target/hub-main.jar"), config, Map.of(), Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (hub != null) {
            hub.close();
        }
        if (nats != null) {
            nats.destroy();
            nats.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyAttackOfAStrangerIsRefused() throws Exception {
        List<Stranger.Verdict> verdicts = new Stranger("nats://127.0.0.1:" + natsPort, URI.create("http://127.0.0.1:" + hub.httpPort()),
                site.resolve("nats/agents.userpass"), "127.0.0.1:" + leafPort).run();

        assertThat(verdicts).hasSizeGreaterThan(15);
        assertThat(verdicts).filteredOn(v -> !v.refused()).as("attacks not refused").isEmpty();
        assertThat(Files.readString(site.resolve("nats.log"))).contains("Publish Violation - User \"agents\"");
    }

    @Test
    void theSitesAgentUserGetsLeasesOverNats() throws Exception {
        try (QuotaClient client = QuotaClient.builder().servers("nats://127.0.0.1:" + natsPort).agentId("shipped-it")
                .userPasswordFile(site.resolve("nats/agents.userpass")).build();
             Lease lease = client.acquire("gemini-pro", 100, Duration.ofSeconds(10))) {
            assertThat(lease.apiKey()).startsWith("sk-shipped-site-");
            lease.complete(80);
        }
    }

    @Test
    void theSecurityDiagnosticPasses() {
        HttpResponse<String> r = hub.useToken(opsToken).get("/api/v1/diagnostics?level=CRITICAL");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String security = r.body().substring(r.body().indexOf("\"security-configuration\""));
        assertThat(security.substring(0, security.indexOf('}'))).as(r.body()).contains("\"status\":\"PASS\"");
    }

    private static void secret(Path file, String value) throws Exception {
        Files.writeString(file, value + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
    }
}
