package io.quotahub.chaos.infra;

import io.quotahub.testkit.FreePorts;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped {@code infra/nats/main.conf} and {@code edge.conf}, with certificates made by
 * {@code infra/nats/make-leaf-tls.sh} (as install.sh and the demo make them), on loopback: the
 * leafnode comes up over TLS verified both ways; a PC2 whose certificate comes from another CA, or
 * whose password is wrong, is refused. Only the ports, store dirs and file paths are rewritten.
 */
class LeafnodeTlsTest {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private static final String PASSWORD = "qh0123456789abcdef0123456789abcdef";

    @TempDir
    static Path dir;
    private static Path tls;
    private static Path otherTls;

    private final List<Process> servers = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void makeCertificates() throws Exception {
        tls = makeLeafTls("tls");
        otherTls = makeLeafTls("other-ca");
    }

    @AfterEach
    void stopServers() throws InterruptedException {
        for (Process p : servers) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theShippedConfigsLinkTheTwoServersOverTls() throws Exception {
        Main main = startMain("ok");
        Path edgeLog = startEdge("ok", main.leafPort, PASSWORD, tls);

        assertThat(awaitLeafnodes(main.monitorPort, 1, Duration.ofSeconds(15))).as("leafnodes on main").isEqualTo(1);
        assertThat(Files.readString(edgeLog)).contains("Leafnode connection created");
    }

    @Test
    void aPc2WithAnotherCasCertificateIsRefused() throws Exception {
        Main main = startMain("wrong-ca");
        startEdge("wrong-ca", main.leafPort, PASSWORD, otherTls);

        assertThat(awaitLog(main.log, "TLS leafnode handshake error", Duration.ofSeconds(15))).isTrue();
        assertThat(leafnodes(main.monitorPort)).isZero();
    }

    @Test
    void aPc2WithAWrongPasswordIsRefused() throws Exception {
        Main main = startMain("wrong-password");
        startEdge("wrong-password", main.leafPort, "qhnot-the-password", tls);

        assertThat(awaitLog(main.log, "authentication error", Duration.ofSeconds(15))).isTrue();
        assertThat(leafnodes(main.monitorPort)).isZero();
    }

    private record Main(int leafPort, int monitorPort, Path log) {
    }

    private Main startMain(String name) throws Exception {
        int port = FreePorts.next();
        int leafPort = FreePorts.next();
        int monitorPort = FreePorts.next();
        String conf = Files.readString(ROOT.resolve("infra/nats/main.conf"))
                .replace("port: 4222", "port: " + port)
                .replace("port: 7422", "port: " + leafPort)
                .replace("\"127.0.0.1:8222\"", "\"127.0.0.1:" + monitorPort + "\"")
                .replace("host: 0.0.0.0", "host: 127.0.0.1")
                .replace("/var/lib/quotahub/nats", dir.resolve(name + "-main-store").toString())
                .replace("/etc/quotahub/tls", tls.toString());
        Path log = start(name + "-main", conf, Map.of("QH_LEAF_PASSWORD", PASSWORD));
        return new Main(leafPort, monitorPort, log);
    }

    private Path startEdge(String name, int leafPort, String password, Path certs) throws Exception {
        String conf = Files.readString(ROOT.resolve("infra/nats/edge.conf"))
                .replace("port: 4223", "port: " + FreePorts.next())
                .replace("\"127.0.0.1:8223\"", "\"127.0.0.1:" + FreePorts.next() + "\"")
                .replace("host: 0.0.0.0", "host: 127.0.0.1")
                .replace("/var/lib/quotahub/nats", dir.resolve(name + "-edge-store").toString())
                .replace("/etc/quotahub/tls", certs.toString());
        return start(name + "-edge", conf, Map.of("QH_LEAF_URL", "nats-leaf://qhleaf:" + password + "@127.0.0.1:" + leafPort));
    }

    /**
     * A nats-server on {@code conf}, secrets in its environment only (as systemd gives them), with
     * the users infra/nats/make-users writes beside it (as install.sh does).
     */
    private Path start(String name, String conf, Map<String, String> env) throws Exception {
        Path home = Files.createDirectories(dir.resolve(name));
        makeUsers(home, name.endsWith("-main") ? "main" : "edge");
        Path file = Files.writeString(home.resolve("nats.conf"), conf);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(NatsServer.binary(), "-c", file.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        servers.add(pb.start());
        return log;
    }

    /** Polls the server's leafnode count until it reaches {@code wanted}; the last count seen. */
    private int awaitLeafnodes(int monitorPort, int wanted, Duration within) {
        AtomicInteger n = new AtomicInteger(-1);
        try {
            Awaitility.await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .until(() -> leafnodes(monitorPort), count -> {
                        n.set(count);
                        return count >= wanted;
                    });
        } catch (ConditionTimeoutException e) {
            // the last count tells the assertion what was seen
        }
        return n.get();
    }

    private static boolean awaitLog(Path log, String text, Duration within) {
        try {
            Awaitility.await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .until(() -> Files.exists(log) && Files.readString(log).contains(text));
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    /** Leafnode connections of a server, from its monitoring endpoint; -1 while it does not answer. */
    private int leafnodes(int monitorPort) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitorPort + "/leafz"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = Pattern.compile("\"leafnodes\":\\s*(\\d+)").matcher(r.body());
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException notYet) {
            return -1;
        }
    }

    static void makeUsers(Path home, String hub) throws Exception {
        Process p = new ProcessBuilder(ROOT.resolve("infra/nats/make-users").toString(), home.toString(), "--hub", hub,
                "--agent", "agents").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
    }

    private static Path makeLeafTls(String name) throws Exception {
        Path out = dir.resolve(name);
        Process p = new ProcessBuilder(ROOT.resolve("infra/nats/make-leaf-tls.sh").toString(), out.toString(), "127.0.0.1", "localhost")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return out;
    }
}
