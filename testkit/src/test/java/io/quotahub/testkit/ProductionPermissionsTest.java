package io.quotahub.testkit;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The production users that {@code infra/nats/make-users} writes, tried as an agent that wants
 * more than it may: every attack of a stranger with agent credentials is refused by the server.
 */
class ProductionPermissionsTest {

    private static final Duration QUIET = Duration.ofMillis(300);

    private static NatsServer nats;
    private static Connection admin;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        admin = Nats.connect(nats.url());
        admin.jetStreamManagement().addStream(StreamConfiguration.builder().name("QH_LEDGER_main")
                .subjects("qh.ledger.main.>").storageType(StorageType.Memory).build());
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        nats.close();
    }

    @Test
    void agentUser_readsItsOwnInbox_andTheHubAnnouncements() throws Exception {
        try (Agent a = new Agent(NatsServer.AGENT)) {
            assertThat(a.receives("_QH.agent." + NatsServer.AGENT + ".reply-1")).isTrue();
            assertThat(a.receives("qh.v1.hubs")).isTrue();
            assertThat(a.errors).isEmpty();
        }
    }

    @Test
    void agentUser_cannotReadAnyOtherInbox() throws Exception {
        try (Agent a = new Agent(NatsServer.AGENT)) {
            assertThat(a.receives("_INBOX.abc")).as("_INBOX.>").isFalse();
            assertThat(a.receives("_QH.agent." + NatsServer.OTHER_AGENT + ".reply-1")).as("another agent's inbox").isFalse();
            assertThat(a.receives("_QH.hub.main.ack-1")).as("the hub's inbox").isFalse();
            assertThat(a.errors).anyMatch(e -> e.contains("Permissions Violation for Subscription"));
        }
    }

    @Test
    void agentUser_cannotJoinTheHubsQueueGroup() throws Exception {
        try (Agent a = new Agent(NatsServer.AGENT)) {
            Subscription sub = a.connection.subscribe("qh.v1.acquire", "qh-hubs");
            a.connection.flush(Duration.ofSeconds(2));
            admin.publish("qh.v1.acquire", "grant me".getBytes(StandardCharsets.UTF_8));
            assertThat(sub.nextMessage(QUIET)).isNull();
            assertThat(a.awaitError("Permissions Violation for Subscription to \"qh.v1.acquire\"")).isTrue();
        }
    }

    @Test
    void agentUser_cannotPublishOnLedgersAnnouncementsDemandOrTheJetStreamApi() throws Exception {
        try (Agent a = new Agent(NatsServer.AGENT)) {
            for (String subject : List.of("qh.ledger.main.events", "qh.ledger.main.fence", "qh.v1.hubs", "qh.v1.demand",
                    "$JS.API.STREAM.DELETE.QH_LEDGER_main", "$JS.API.STREAM.PURGE.QH_LEDGER_main")) {
                assertThat(a.publishReaches(subject)).as(subject).isFalse();
            }
            assertThat(admin.jetStreamManagement().getStreamInfo("QH_LEDGER_main").getStreamState().getMsgCount()).isZero();
            assertThat(a.errors).anyMatch(e -> e.contains("Permissions Violation for Publish"));
        }
    }

    @Test
    void agentUser_mayPublishTheServiceRequests() throws Exception {
        try (Agent a = new Agent(NatsServer.AGENT)) {
            for (String subject : List.of("qh.v1.acquire", "qh.v1.settle", "qh.v1.heartbeat", "qh.v1.hub.edge.acquire",
                    "qh.v1.hub.main.settle")) {
                assertThat(a.publishReaches(subject)).as(subject).isTrue();
            }
            assertThat(a.errors).isEmpty();
        }
    }

    @Test
    void hubUser_cannotDeleteOrPurgeALedger_norReadAgentsInboxes() throws Exception {
        Options options = userOptions(nats.hubCredentials()).inboxPrefix("_QH.hub.main").build();
        try (Connection hub = Nats.connect(options)) {
            assertThatThrownBy(() -> hub.jetStreamManagement().deleteStream("QH_LEDGER_main"))
                    .hasMessageContaining("no response"); // the server drops a forbidden request: no answer comes
            assertThat(admin.jetStreamManagement().getStreamInfo("QH_LEDGER_main")).isNotNull();
            Subscription sub = hub.subscribe("_QH.agent." + NatsServer.AGENT + ".>");
            hub.flush(Duration.ofSeconds(2));
            admin.publish("_QH.agent." + NatsServer.AGENT + ".r1", new byte[] {1});
            assertThat(sub.nextMessage(QUIET)).isNull();
        } catch (JetStreamApiException unexpected) {
            throw new AssertionError("the server answered a forbidden request", unexpected);
        }
    }

    @Test
    void wrongPassword_isRefused() throws Exception {
        Path wrong = Files.createTempFile("qh-wrong", ".userpass");
        Files.writeString(wrong, NatsServer.AGENT + ":not-the-password\n");
        assertThatThrownBy(() -> Nats.connect(userOptions(wrong).maxReconnects(0).build()))
                .hasMessageContaining("Authorization Violation");
    }

    private static Options.Builder userOptions(Path credentials) throws Exception {
        String[] userPassword = Files.readString(credentials).trim().split(":", 2);
        return new Options.Builder().server(nats.url()).userInfo(userPassword[0], userPassword[1])
                .connectionTimeout(Duration.ofSeconds(2));
    }

    /** A client with an agent user's credentials and its own inbox, as the SDK connects. */
    private static final class Agent implements AutoCloseable {
        final List<String> errors = new CopyOnWriteArrayList<>();
        final Connection connection;

        Agent(String user) throws Exception {
            connection = Nats.connect(userOptions(nats.credentials(user)).inboxPrefix("_QH.agent." + user)
                    .errorListener(new ErrorListener() {
                        @Override
                        public void errorOccurred(Connection conn, String error) {
                            errors.add(error);
                        }
                    }).build());
        }

        /** Whether a message the admin publishes on {@code subject} reaches this client's subscription. */
        boolean receives(String subject) throws Exception {
            Subscription sub = connection.subscribe(subject);
            connection.flush(Duration.ofSeconds(2));
            admin.publish(subject, new byte[] {42});
            Message m = sub.nextMessage(QUIET);
            sub.unsubscribe();
            return m != null;
        }

        /** Whether a message this client publishes on {@code subject} reaches the admin. */
        boolean publishReaches(String subject) throws Exception {
            Subscription sub = admin.subscribe(subject);
            admin.flush(Duration.ofSeconds(2));
            connection.publish(subject, new byte[] {7});
            connection.flush(Duration.ofSeconds(2));
            Message m = sub.nextMessage(QUIET);
            sub.unsubscribe();
            return m != null;
        }

        boolean awaitError(String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < deadline) {
                if (errors.stream().anyMatch(e -> e.contains(text))) {
                    return true;
                }
                Thread.sleep(10);
            }
            return false;
        }

        @Override
        public void close() throws InterruptedException {
            connection.close();
        }
    }
}
