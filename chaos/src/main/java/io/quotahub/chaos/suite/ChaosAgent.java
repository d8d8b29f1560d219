package io.quotahub.chaos.suite;

import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * One agent of the workload: an SDK client (its own machine's NATS server first), a loop that,
 * while it has demand, acquires a lease, calls the provider with the leased key and settles
 * ({@code complete}, {@code rateLimited} on a 429, {@code failed} otherwise), then thinks. Every
 * step goes to the {@link Recorder}. Each call reserves an estimate of tokens and uses (and
 * reports) the tokens its supplier gives, at most the estimate; a call may take a while after the
 * provider answered (a slow model), while the agent holds the lease.
 */
public final class ChaosAgent implements AutoCloseable {

    private static final Duration MAX_WAIT = Duration.ofSeconds(2);

    private final String id;
    private final String side;
    private final String pool;
    private final Recorder rec;
    private final ProviderCaller provider;
    private final QuotaClient client;
    private final long estimate;
    private final LongSupplier tokensUsed;
    private final long callMillis;
    private final Thread thread;
    private volatile long thinkMillis;
    private volatile boolean demand;
    private volatile boolean running = true;

    public ChaosAgent(String id, String side, QuotaClient.Builder client, String pool, Recorder rec, ProviderCaller provider,
            long thinkMillis) {
        this(id, side, client, pool, rec, provider, thinkMillis, 1, () -> 1, 0);
    }

    /**
     * An agent whose calls reserve {@code estimate} tokens, use {@code tokensUsed} (at most the
     * estimate) and take {@code callMillis} from the provider's answer until the settle.
     */
    public ChaosAgent(String id, String side, QuotaClient.Builder client, String pool, Recorder rec, ProviderCaller provider,
            long thinkMillis, long estimate, LongSupplier tokensUsed, long callMillis) {
        this.estimate = estimate;
        this.tokensUsed = tokensUsed;
        this.callMillis = callMillis;
        this.id = id;
        this.side = side;
        this.pool = pool;
        this.rec = rec;
        this.provider = provider;
        this.thinkMillis = thinkMillis;
        this.client = client.agentId(id).build();
        this.thread = new Thread(this::loop, "chaos-agent-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    public String id() {
        return id;
    }

    public String side() {
        return side;
    }

    public void demand(boolean on) {
        demand = on;
    }

    public boolean hasDemand() {
        return demand;
    }

    public void think(long millis) {
        thinkMillis = millis;
    }

    private void loop() {
        long wantedSince = -1;
        while (running) {
            if (!demand) {
                if (wantedSince >= 0) {
                    rec.unmetWant(new Recorder.Want(id, side, pool, wantedSince, Clock.now(), false));
                }
                wantedSince = -1;
                Clock.sleep(10);
                continue;
            }
            if (wantedSince < 0) {
                wantedSince = Clock.now();
            }
            long asked = Clock.now();
            try (Lease lease = client.acquire(pool, estimate, MAX_WAIT)) {
                long got = Clock.now();
                rec.lease(new Recorder.LeaseRec(id, side, pool, lease.hubId(), lease.keyId(), lease.leaseId(), wantedSince, got));
                wantedSince = -1;
                long used = Math.min(estimate, tokensUsed.getAsLong());
                ProviderCaller.Answer a = provider.call(lease.apiKey(), used);
                rec.call(new Recorder.CallRec(id, lease.keyId(), Clock.now(), a.status()));
                sleepWhileRunning(callMillis);
                String outcome = switch (a.status()) {
                    case 200 -> "OK";
                    case 429 -> "RATE_LIMITED";
                    default -> "ERROR";
                };
                rec.settle(new Recorder.SettleRec(id, pool, lease.leaseId(), outcome, used, Clock.now()));
                try {
                    switch (a.status()) {
                        case 200 -> lease.complete(used);
                        case 429 -> lease.rateLimited(Duration.ofSeconds(a.retryAfterSeconds()));
                        default -> lease.failed("http " + a.status());
                    }
                } catch (QuotaHubException settleFailed) {
                    rec.miss(new Recorder.Miss(id, pool, Clock.now(), "settle", settleFailed.code(), 0, 0));
                }
                sleepWhileRunning(thinkMillis);
            } catch (QuotaExhaustedException e) {
                long retry = e.retryAfter() == null ? 100 : e.retryAfter().toMillis();
                rec.miss(new Recorder.Miss(id, pool, Clock.now(), "refused", e.code(), retry, Clock.now() - asked));
                sleepWhileRunning(Math.min(Math.max(retry, 10), 1000));
            } catch (HubUnavailableException e) {
                rec.miss(new Recorder.Miss(id, pool, Clock.now(), "unavailable", "UNAVAILABLE", 0, Clock.now() - asked));
                sleepWhileRunning(20);
            } catch (QuotaHubException e) {
                rec.miss(new Recorder.Miss(id, pool, Clock.now(), "error", e.code(), 0, Clock.now() - asked));
                sleepWhileRunning(50);
            } catch (IllegalStateException closed) {
                return;
            } catch (RuntimeException e) {
                rec.miss(new Recorder.Miss(id, pool, Clock.now(), "error", e.getClass().getSimpleName(), 0, Clock.now() - asked));
                sleepWhileRunning(50);
            }
        }
        if (wantedSince >= 0) {
            rec.unmetWant(new Recorder.Want(id, side, pool, wantedSince, Clock.now(), false));
        }
    }

    private void sleepWhileRunning(long millis) {
        long until = System.nanoTime() + millis * 1_000_000L;
        while (running && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(10, Math.max(1, (until - System.nanoTime()) / 1_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }
}
