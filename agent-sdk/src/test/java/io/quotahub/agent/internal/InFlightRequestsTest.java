package io.quotahub.agent.internal;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deadlines of requests in flight against a real nats-server; time is a fake clock and the timer
 * a list of tasks the test runs, so the expiries are exact and instant.
 */
class InFlightRequestsTest {

    private static final long MS = 1_000_000L;
    private static NatsServer nats;
    private static Connection connection;

    private long now = 1_000 * MS;
    private final List<long[]> timerDelays = new ArrayList<>();
    private final List<Runnable> timerTasks = new ArrayList<>();
    private final InFlightRequests inFlight = new InFlightRequests(() -> now, (task, delay) -> {
        timerTasks.add(task);
        timerDelays.add(new long[] {delay});
    });

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        connection = Nats.connect(nats.url());
        Dispatcher echo = connection.createDispatcher(m -> connection.publish(m.getReplyTo(), m.getData()));
        echo.subscribe("echo");
        connection.createDispatcher(m -> { }).subscribe("silent.>"); // takes requests, never answers
        connection.flush(java.time.Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
        nats.close();
    }

    private void runTimers() {
        List<Runnable> due = new ArrayList<>(timerTasks);
        timerTasks.clear();
        due.forEach(Runnable::run);
    }

    @Test
    void anAnsweredRequestKeepsItsReplyAndIsForgottenByTheNextExpiry() throws Exception {
        CompletableFuture<Message> reply = inFlight.send(connection, "echo", "hi".getBytes(StandardCharsets.UTF_8), 750 * MS);

        assertThat(new String(reply.get(5, TimeUnit.SECONDS).getData(), StandardCharsets.UTF_8)).isEqualTo("hi");
        assertThat(timerDelays).hasSize(1);
        assertThat(timerDelays.get(0)[0]).isEqualTo(750 * MS);
        runTimers();
        assertThat(inFlight.size()).isZero();
        assertThat(timerTasks).as("nothing left to time out: no timer").isEmpty();
    }

    @Test
    void anUnansweredRequestFailsWithATimeoutAtItsDeadlineAndNotBefore() {
        CompletableFuture<Message> reply = inFlight.send(connection, "silent.listener", new byte[0], 750 * MS);

        now += 749 * MS;
        runTimers(); // early: re-armed for the rest
        assertThat(reply).isNotDone();
        assertThat(timerDelays.get(timerDelays.size() - 1)[0]).isEqualTo(MS);

        now += MS;
        runTimers();
        assertThat(reply).isCompletedExceptionally();
        assertThat(reply.handle((m, e) -> e).join()).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("silent.listener").hasMessageContaining("750 ms");
    }

    @Test
    void aShorterTimeoutSentLaterExpiresFirst() {
        CompletableFuture<Message> slow = inFlight.send(connection, "silent.a", new byte[0], 750 * MS);
        now += 10 * MS;
        CompletableFuture<Message> quick = inFlight.send(connection, "silent.b", new byte[0], 100 * MS);
        assertThat(timerDelays.get(timerDelays.size() - 1)[0]).as("armed sooner for the shorter one").isEqualTo(100 * MS);

        now += 100 * MS;
        runTimers();
        assertThat(quick).isCompletedExceptionally();
        assertThat(slow).isNotDone();

        now += 640 * MS;
        runTimers();
        assertThat(slow).isCompletedExceptionally();
        assertThat(inFlight.size()).isZero();
    }

    @Test
    void aLostConnectionFailsOnlyItsOwnRequestsAtOnce() throws Exception {
        try (Connection other = Nats.connect(nats.url())) {
            CompletableFuture<Message> onLost = inFlight.send(other, "silent.c", new byte[0], 750 * MS);
            CompletableFuture<Message> onKept = inFlight.send(connection, "silent.d", new byte[0], 750 * MS);

            inFlight.connectionLost(other);

            assertThat(onLost.handle((m, e) -> e).join()).isInstanceOf(IOException.class);
            assertThat(onKept).isNotDone();
        }
    }
}
