package io.quotahub.hub.security;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micronaut.runtime.server.EmbeddedServer;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Without tokens the hub listens on 127.0.0.1 only, whatever the host setting, says so, and serves this machine. */
class ProtectedModeTest {

    @TempDir
    Path dir;

    @Test
    void withoutTokens_theServerBinds127001EvenWhenTheHostSaysAllInterfaces_andLogsProtectedMode() throws IOException {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        try (NatsServer nats = NatsServer.start();
             TestHub hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys", List.of(
                             key("k1", secretFile(dir, "k1", "sk-protected-mode-4545"), List.of(requests(10, "1h")))))),
                     Map.of("micronaut.server.host", "0.0.0.0"))) {
            EmbeddedServer server = hub.bean(EmbeddedServer.class);
            assertThat(server.getHost()).isEqualTo("127.0.0.1");
            assertThat(listeningAddresses(server.getPort())).as("addresses listening on port %d", server.getPort())
                    .containsOnly("127.0.0.1");
            // a caller on this machine may do everything, as before tokens existed
            assertThat(hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1}").statusCode()).isEqualTo(200);
            assertThat(hub.post("/api/v1/admin/keys/demo/k1/reset", "{}").statusCode()).isEqualTo(200);
            assertThat(hub.get("/beans").statusCode()).isEqualTo(200);
        } finally {
            root.detachAppender(logs);
        }
        assertThat(logs.list).map(ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).contains("Protected mode").contains("listens on 127.0.0.1 only")
                        .contains("micronaut.server.host=0.0.0.0 is ignored").contains("quotahub.security.tokens"));
    }

    /**
     * The local addresses the kernel lists as listening (state 0A) on this TCP port, read from
     * /proc/net/tcp and tcp6: the bound host itself, not what the server object says.
     */
    static List<String> listeningAddresses(int port) throws IOException {
        Path tcp = Path.of("/proc/net/tcp");
        assumeTrue(Files.isReadable(tcp), "needs Linux /proc/net/tcp");
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        List<String> found = new ArrayList<>();
        for (Path file : List.of(tcp, Path.of("/proc/net/tcp6"))) {
            if (!Files.isReadable(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                    found.add(address(f[1].substring(0, f[1].indexOf(':'))));
                }
            }
        }
        return found;
    }

    /**
     * /proc/net/tcp's little-endian hex address: 0100007F is 127.0.0.1, also as the IPv4-mapped
     * tcp6 form 0000000000000000FFFF00000100007F (::ffff:127.0.0.1); other tcp6 addresses as hex.
     */
    private static String address(String hex) {
        if (hex.length() == 32 && hex.startsWith("0000000000000000FFFF0000")) {
            hex = hex.substring(24);
        }
        if (hex.length() != 8) {
            return hex.equals("00000000000000000000000000000000") ? "::" : hex;
        }
        long v = Long.parseLong(hex, 16);
        return (v & 0xff) + "." + (v >> 8 & 0xff) + "." + (v >> 16 & 0xff) + "." + (v >> 24 & 0xff);
    }
}
