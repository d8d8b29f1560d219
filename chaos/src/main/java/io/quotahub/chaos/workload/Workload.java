package io.quotahub.chaos.workload;

import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Demo agents: each has its own {@link QuotaClient}, leases a key, calls the provider with it and
 * reports the outcome — {@code complete(tokens the provider reported)}, {@code rateLimited} on a
 * 429, {@code failed} otherwise. A refusal from the hub makes the agent wait the hub's retry time.
 */
public final class Workload {

    /**
     * What to run.
     *
     * @param nats        NATS server URLs, comma-separated, the local one first (the SDK fails over down the list)
     * @param agentPrefix agent ids are {@code <agentPrefix>-1}, {@code -2}, …: distinct per workload when
     *                    several run against the same hubs
     * @param natsUser    the agents' NATS user/password file ({@code user:password}), or null for none
     * @param pushGateway the machine's Pushgateway ({@code host:port}) the agents push their metrics to, or null for none
     */
    public record Settings(String nats, URI provider, String pool, int agents, long tokens, Duration think,
            String agentPrefix, Path natsUser, String pushGateway) {
        public Settings {
            Objects.requireNonNull(nats, "nats");
            if (servers(nats).isEmpty()) {
                throw new IllegalArgumentException("nats must list at least one server URL, was '" + nats + "'");
            }
            Objects.requireNonNull(agentPrefix, "agentPrefix");
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(pool, "pool");
            if (agents <= 0) {
                throw new IllegalArgumentException("agents must be > 0, was " + agents);
            }
            if (tokens <= 0) {
                throw new IllegalArgumentException("tokens must be > 0, was " + tokens);
            }
        }

        public Settings(String nats, URI provider, String pool, int agents, long tokens, Duration think) {
            this(nats, provider, pool, agents, tokens, think, "demo-agent", null, null);
        }

        public Settings(String nats, URI provider, String pool, int agents, long tokens, Duration think,
                String agentPrefix, Path natsUser) {
            this(nats, provider, pool, agents, tokens, think, agentPrefix, natsUser, null);
        }

        /** The server URLs of {@link #nats()}, in order. */
        public List<String> natsServers() {
            return servers(nats);
        }

        private static List<String> servers(String nats) {
            List<String> urls = new ArrayList<>();
            for (String url : nats.split(",")) {
                if (!url.isBlank()) {
                    urls.add(url.trim());
                }
            }
            return urls;
        }
    }

    private static final Duration MAX_WAIT = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Pattern TOKENS_USED = Pattern.compile("\"tokensUsed\"\\s*:\\s*(\\d+)");
    private static final Pattern KEY_ID = Pattern.compile("\"keyId\"\\s*:\\s*\"([^\"]*)\"");

    private final Settings settings;
    private final Consumer<String> out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile boolean stopping;

    private final LongAdder leases = new LongAdder();
    private final LongAdder refusals = new LongAdder();
    private final LongAdder hubUnavailable = new LongAdder();
    private final LongAdder provider200 = new LongAdder();
    private final LongAdder provider429 = new LongAdder();
    private final LongAdder providerErrors = new LongAdder();
    private final Map<String, LongAdder> perKey = new ConcurrentHashMap<>();
    private volatile String lastRefusalReason = "";

    public Workload(Settings settings, Consumer<String> out) {
        this.settings = settings;
        this.out = out;
    }

    /** Asks the agents to finish their current call and stop. */
    public void stop() {
        stopping = true;
    }

    /** Runs the agents until {@link #stop()} or until {@code duration} (null: no limit) has passed. */
    public void run(Duration duration) throws InterruptedException {
        long start = System.nanoTime();
        long end = duration == null ? Long.MAX_VALUE : start + duration.toNanos();
        out.accept("[workload] " + settings.agents() + " agents on pool '" + settings.pool() + "' via " + settings.nats()
                + ", provider " + settings.provider() + ", ~" + settings.tokens() + " tokens per call");
        List<Thread> agents = new ArrayList<>();
        for (int i = 1; i <= settings.agents(); i++) {
            String agentId = settings.agentPrefix() + "-" + i;
            Thread t = new Thread(() -> agent(agentId), agentId);
            t.setDaemon(true);
            agents.add(t);
            t.start();
        }
        long nextReport = start + Duration.ofSeconds(5).toNanos();
        while (!stopping && System.nanoTime() < end && agents.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(100);
            if (System.nanoTime() >= nextReport) {
                out.accept(summary("progress", start));
                nextReport += Duration.ofSeconds(5).toNanos();
            }
        }
        stopping = true;
        for (Thread t : agents) {
            t.join(5_000);
        }
        out.accept(summary("final", start));
    }

    /** Provider 429s seen by the agents: must stay 0 when the hub does its job. */
    public long provider429() {
        return provider429.sum();
    }

    public long provider200() {
        return provider200.sum();
    }

    private QuotaClient client(String agentId) {
        QuotaClient.Builder builder = QuotaClient.builder().servers(settings.natsServers()).agentId(agentId);
        if (settings.pushGateway() != null) {
            builder.pushGateway(settings.pushGateway());
        }
        return (settings.natsUser() == null ? builder : builder.userPasswordFile(settings.natsUser())).build();
    }

    private void agent(String agentId) {
        while (!stopping) {
            try (QuotaClient client = client(agentId)) {
                while (!stopping) {
                    oneCall(client);
                    pause(settings.think());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                out.accept("[workload] " + agentId + ": " + e.getClass().getSimpleName() + ": " + e.getMessage()
                        + "; reconnecting in 1 s");
                try {
                    pause(Duration.ofSeconds(1));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void oneCall(QuotaClient client) throws InterruptedException {
        try (Lease lease = client.acquire(settings.pool(), settings.tokens(), MAX_WAIT)) {
            leases.increment();
            // A real call uses at most what the agent estimated: between half and all of it.
            long tokens = ThreadLocalRandom.current().nextLong(Math.max(1, settings.tokens() / 2), settings.tokens() + 1);
            HttpResponse<String> r;
            try {
                r = http.send(HttpRequest.newBuilder(settings.provider().resolve("/v1/complete"))
                                .timeout(Duration.ofSeconds(10))
                                .header("Authorization", "Bearer " + lease.apiKey())
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"tokens\":" + tokens + "}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                providerErrors.increment();
                lease.failed("io: " + e.getClass().getSimpleName());
                return;
            }
            switch (r.statusCode()) {
                case 200 -> {
                    provider200.increment();
                    Matcher used = TOKENS_USED.matcher(r.body());
                    Matcher key = KEY_ID.matcher(r.body());
                    if (key.find()) {
                        perKey.computeIfAbsent(key.group(1), k -> new LongAdder()).increment();
                    }
                    lease.complete(used.find() ? Long.parseLong(used.group(1)) : tokens);
                }
                case 429 -> {
                    provider429.increment();
                    long secs = r.headers().firstValueAsLong("Retry-After").orElse(1);
                    out.accept("[workload] PROVIDER 429 (quota exceeded at the provider): " + r.body());
                    lease.rateLimited(Duration.ofSeconds(secs));
                }
                default -> {
                    providerErrors.increment();
                    lease.failed("http " + r.statusCode());
                }
            }
        } catch (QuotaExhaustedException e) {
            refusals.increment();
            lastRefusalReason = String.valueOf(e.reason());
            Duration wait = e.retryAfter() == null ? Duration.ofMillis(200) : e.retryAfter();
            pause(wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait);
        } catch (HubUnavailableException e) {
            hubUnavailable.increment();
            pause(Duration.ofSeconds(1));
        }
    }

    private void pause(Duration d) throws InterruptedException {
        long until = System.nanoTime() + Math.max(0, d.toNanos());
        while (!stopping) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.max(1, Math.min(100, left / 1_000_000)));
        }
    }

    private String summary(String what, long start) {
        Map<String, Long> keys = new TreeMap<>();
        perKey.forEach((k, v) -> keys.put(k, v.sum()));
        long secs = (System.nanoTime() - start) / 1_000_000_000L;
        String s = String.format("[workload] %s t=%ds leases=%d refusals=%d hubUnavailable=%d provider200=%d"
                        + " provider429=%d providerErrors=%d perKey=%s", what, secs, leases.sum(), refusals.sum(),
                hubUnavailable.sum(), provider200.sum(), provider429.sum(), providerErrors.sum(), keys);
        if (refusals.sum() > 0) {
            s += " lastRefusal=\"" + lastRefusalReason + "\"";
        }
        return s;
    }
}
