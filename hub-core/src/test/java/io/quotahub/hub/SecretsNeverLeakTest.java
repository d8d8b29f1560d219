package io.quotahub.hub;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a hub through grants, refusals, errors and bad input, and greps everything it wrote —
 * log lines, error bodies, state, metrics — for the configured secrets.
 */
class SecretsNeverLeakTest {

    private static final String SECRET_1 = "sk-leak-check-AAAA-1111-secret";
    private static final String SECRET_2 = "sk-leak-check-BBBB-2222-secret";

    @TempDir
    Path dir;

    @Test
    void noSecretInLogsErrorsStateOrMetrics() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        List<String> written = new ArrayList<>();
        try (NatsServer nats = NatsServer.start();
             TestHub hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys", List.of(
                     key("k1", secretFile(dir, "k1", SECRET_1), List.of(requests(2, "1h"))),
                     key("k2", secretFile(dir, "k2", SECRET_2), List.of(requests(1, "1h"))),
                     key("k3", dir.resolve("no-such-file"), List.of(requests(1, "1h")))))))) {
            for (int i = 0; i < 5; i++) {
                written.add(hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"leak\"}").body()
                        .replace(SECRET_1, "<granted>").replace(SECRET_2, "<granted>"));
            }
            written.add(hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":0}").body());
            written.add(hub.post("/api/v1/acquire", "garbage").body());
            written.add(hub.post("/api/v1/leases/nope/complete", "{\"tokensUsed\":1,\"outcome\":\"AUTH_FAILED\"}").body());
            written.add(hub.get("/api/v1/state").body());
            written.add(hub.get("/prometheus").body());
            written.add(hub.get("/health/readiness").body());
        } finally {
            root.detachAppender(logs);
        }
        logs.list.forEach(e -> written.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage())));

        assertThat(written).isNotEmpty().noneMatch(line -> line.contains(SECRET_1) || line.contains(SECRET_2));
        assertThat(written).anyMatch(line -> line.contains("k3") && line.contains("not used"));
    }

    @Test
    void noLeaseSecretInLogsStateMetricsOrTheLedger() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        List<String> leaseSecrets = new ArrayList<>();
        List<String> written = new ArrayList<>();
        try (NatsServer nats = NatsServer.start();
             TestHub hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys", List.of(
                     key("k1", secretFile(dir, "k1", SECRET_1), List.of(requests(100, "1h")))))));
             io.nats.client.Connection client = io.nats.client.Nats.connect(nats.url())) {
            for (int i = 0; i < 3; i++) {
                String handle = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"leak\"}").body()
                        .replaceAll(".*\"leaseId\":\"([^\"]+)\".*", "$1");
                String leaseId = handle.substring(0, handle.lastIndexOf('.'));
                String secret = handle.substring(handle.lastIndexOf('.') + 1);
                leaseSecrets.add(secret);
                written.add(hub.post("/api/v1/leases/" + leaseId + "/complete", "{\"tokensUsed\":1,\"outcome\":\"OK\"}").body());
                written.add(hub.post("/api/v1/leases/" + leaseId + ".wrong/complete", "{\"tokensUsed\":1}").body());
                written.add(hub.post("/api/v1/leases/" + handle + "/complete", "{\"tokensUsed\":99999999,\"outcome\":\"OK\"}").body());
                written.add(hub.post("/api/v1/leases/" + handle + "/complete", "{\"tokensUsed\":1,\"outcome\":\"ERROR\"}").body());
            }
            written.add(hub.get("/api/v1/state").body());
            written.add(hub.get("/prometheus").body());
            var jsm = client.jetStreamManagement();
            String stream = io.quotahub.proto.Subjects.ledgerStream("main");
            long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
            for (long seq = 1; seq <= last; seq++) {
                written.add(new String(jsm.getMessage(stream, seq).getData(), java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        } finally {
            root.detachAppender(logs);
        }
        logs.list.forEach(e -> written.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage())));

        assertThat(leaseSecrets).hasSize(3).allSatisfy(secret -> assertThat(secret).hasSize(22));
        for (String secret : leaseSecrets) {
            assertThat(written).noneMatch(line -> line.contains(secret));
        }
    }

    @Test
    void noBearerTokenNorNatsPasswordInLogsErrorsStateMetricsOrDiagnostics() throws Exception {
        String agent = "leak-check-agent-token-CCCC-3333";
        String viewer = "leak-check-viewer-token-DDDD-4444";
        String operator = "leak-check-operator-token-EEEE-5555";
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        LoggerContext loggers = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = loggers.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger security = loggers.getLogger("io.micronaut.security");
        ch.qos.logback.classic.Level before = security.getLevel();
        security.setLevel(ch.qos.logback.classic.Level.TRACE); // whatever the library would say at its most talkative
        logs.start();
        root.addAppender(logs);
        List<String> written = new ArrayList<>();
        String natsPassword;
        try (NatsServer nats = NatsServer.start();
             TestHub hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys", List.of(
                             key("k1", secretFile(dir, "k1", SECRET_1), List.of(requests(5, "1h")))))),
                     Map.of("quotahub.security.tokens", List.of(
                             TestHub.tokenEntry("agents", "AGENT", secretFile(dir, "agent.token", agent)),
                             TestHub.tokenEntry("grafana", "VIEWER", secretFile(dir, "viewer.token", viewer)),
                             TestHub.tokenEntry("ops", "OPERATOR", secretFile(dir, "ops.token", operator)))))) {
            // the hub connects as its production NATS user (TestHub): its password must not leak either
            natsPassword = Files.readString(nats.hubCredentials()).trim().split(":", 2)[1];
            String acquire = "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"leak\"}";
            for (String token : List.of(agent, viewer, operator, agent + "-wrong", operator.substring(3))) {
                written.add(hub.post("/api/v1/acquire", acquire, token).body().replace(SECRET_1, "<granted>"));
                written.add(hub.post("/api/v1/admin/keys/demo/k1/reset", "{}", token).body());
                written.add(hub.get("/beans", token).body().length() + " bytes of beans");
            }
            written.add(hub.post("/api/v1/acquire", acquire).body());
            written.add(hub.get("/api/v1/state", viewer).body());
            written.add(hub.get("/prometheus", viewer).body());
            written.add(hub.get("/api/v1/diagnostics?level=CRITICAL", operator).body());
            written.add(hub.get("/health/readiness").body());
            written.add(hub.get("/env", operator).body());
        } finally {
            root.detachAppender(logs);
            security.setLevel(before);
        }
        logs.list.forEach(e -> written.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage())));

        assertThat(written).anyMatch(line -> line.contains("tokens configured: agents (AGENT), grafana (VIEWER), ops (OPERATOR)"));
        assertThat(written).anyMatch(line -> line.contains("connecting to NATS") && line.contains("user/password "));
        for (String token : List.of(agent, viewer, operator, operator.substring(3), natsPassword)) {
            assertThat(written).as("no line holds %s", token).noneMatch(line -> line.contains(token));
        }
    }
}
