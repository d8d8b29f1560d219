package io.quotahub.hub;

import io.nats.client.Connection;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.Subjects;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Announces this hub on {@code qh.v1.hubs} every {@link #EVERY}, on a timer thread of its own
 * ({@code qh-hub-announce}): nothing else runs there, so no replication tick, fence or lease
 * reaper can hold an announcement back and make the peer take this hub for dead.
 */
@Singleton
class Announcer implements AutoCloseable {

    /** The heartbeat the peer's {@code quotahub.takeover-after} counts silence against. */
    static final Duration EVERY = Duration.ofMillis(250);

    private final String hubId;
    private final Clock clock;
    private final ConfigAgreement config;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "qh-hub-announce");
        t.setDaemon(true);
        return t;
    });

    Announcer(HubSettings settings, Clock clock, ConfigAgreement config) {
        this.hubId = settings.hubId();
        this.clock = clock;
        this.config = config;
    }

    /**
     * Starts announcing over {@code connection}, from the first second (ready=false while
     * starting): a peer that heard nothing from this hub would take it for dead and fence it.
     */
    void start(Connection connection, BooleanSupplier ready, BooleanSupplier stopping) {
        timer.scheduleAtFixedRate(() -> announce(connection, ready, stopping), 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void announce(Connection connection, BooleanSupplier ready, BooleanSupplier stopping) {
        try {
            if (connection.getStatus() == Connection.Status.CONNECTED) {
                ConfigAgreement.Announced pools = config.own();
                connection.publish(Subjects.HUBS, HubAnnouncement.newBuilder()
                        .setConfigDigest(pools.digest())
                        .setConfigVersion(pools.version())
                        .setHubId(hubId)
                        .setSentAtEpochMs(clock.millis())
                        .setReady(ready.getAsBoolean())
                        .setStopping(stopping.getAsBoolean())
                        .build().toByteArray());
            }
        } catch (RuntimeException e) {
            // the next tick tries again (a scheduled task that throws is never run again)
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
