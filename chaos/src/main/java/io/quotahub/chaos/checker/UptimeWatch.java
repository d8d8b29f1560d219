package io.quotahub.chaos.checker;

import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.suite.Clock;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Looks at both hubs every {@code every} while it runs: is the process alive, does
 * {@code GET /health/readiness} answer 200 within {@code timeout}. One thread per hub, so a hub
 * that hangs does not delay the looks at the other. {@link Uptime#judge} judges the samples.
 */
public final class UptimeWatch implements AutoCloseable {

    private final ChaosCluster cluster;
    private final Duration every;
    private final Duration timeout;
    private final HttpClient http;
    private final List<Uptime.Sample> samples = new CopyOnWriteArrayList<>();
    private final List<Thread> threads;
    private volatile boolean running = true;

    public UptimeWatch(ChaosCluster cluster, Duration every, Duration timeout) {
        this.cluster = cluster;
        this.every = every;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        this.threads = ChaosCluster.HUBS.stream().map(hub -> {
            Thread t = new Thread(() -> watch(hub), "uptime-" + hub);
            t.setDaemon(true);
            return t;
        }).toList();
        threads.forEach(Thread::start);
    }

    private void watch(String hub) {
        long next = System.nanoTime();
        while (running) {
            samples.add(look(hub));
            next += every.toNanos();
            long wait = (next - System.nanoTime()) / 1_000_000L;
            if (wait > 0) {
                Clock.sleep(wait);
            } else {
                next = System.nanoTime(); // a slow look: take the next one at once, do not catch up
            }
        }
    }

    private Uptime.Sample look(String hub) {
        long at = Clock.now();
        if (!cluster.hubAlive(hub)) {
            return new Uptime.Sample(hub, at, Uptime.State.DEAD, "process not running");
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(cluster.hubUrl(hub) + "/health/readiness"))
                    .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? new Uptime.Sample(hub, at, Uptime.State.UP, "200")
                    : new Uptime.Sample(hub, at, Uptime.State.DOWN, r.statusCode() + " " + abbreviate(r.body()));
        } catch (IOException e) {
            // the process may have died during the look
            Uptime.State state = cluster.hubAlive(hub) ? Uptime.State.NO_ANSWER : Uptime.State.DEAD;
            return new Uptime.Sample(hub, at, state, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return new Uptime.Sample(hub, at, Uptime.State.NO_ANSWER, "interrupted");
        }
    }

    private static String abbreviate(String body) {
        return body.length() <= 200 ? body : body.substring(0, 200) + "…";
    }

    /** The samples so far. */
    public List<Uptime.Sample> samples() {
        return List.copyOf(samples);
    }

    /** Stops looking (waits for the looks in progress). */
    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            try {
                t.join(timeout.toMillis() + every.toMillis() + 1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
