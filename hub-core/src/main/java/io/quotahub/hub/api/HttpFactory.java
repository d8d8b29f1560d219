package io.quotahub.hub.api;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.context.event.ShutdownEvent;
import io.quotahub.hub.config.HttpSettings;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.service.AcquireService;
import io.quotahub.hub.service.WaitingAcquire;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API's own collaborators: the waiting acquire, with one timer thread
 * ({@code qh-http-waits}) that runs the waits' next tries and checks every 100 ms whether the hub
 * was fenced (then every wait is answered at once). At shutdown every wait is answered at once.
 */
@Factory
class HttpFactory {

    @Singleton
    @Bean(preDestroy = "close")
    WaitingAcquire waitingAcquire(AcquireService acquire, HubLedger ledger, Clock clock, HttpSettings settings) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qh-http-waits");
            t.setDaemon(true);
            return t;
        });
        WaitingAcquire.Timer timer = new WaitingAcquire.Timer() {
            @Override
            public Future<?> schedule(Runnable task, long delayMillis) {
                return executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
            }

            @Override
            public void stop() {
                executor.shutdownNow();
            }
        };
        WaitingAcquire waiting = new WaitingAcquire(acquire, ledger, timer, clock, settings.maxWait(),
                () -> ThreadLocalRandom.current().nextDouble());
        executor.scheduleWithFixedDelay(() -> {
            try {
                waiting.failIfFenced();
            } catch (RuntimeException e) {
                // keep checking: a periodic task that throws is never run again
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
        return waiting;
    }

    /** Answers the waits as soon as the hub begins to shut down, before its beans are destroyed. */
    @Singleton
    ApplicationEventListener<ShutdownEvent> endWaitsOnShutdown(WaitingAcquire waiting) {
        return event -> waiting.close();
    }
}
