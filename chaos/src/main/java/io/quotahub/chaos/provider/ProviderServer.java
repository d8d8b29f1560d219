package io.quotahub.chaos.provider;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quotahub.chaos.ChaosJson;


import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.quotahub.chaos.ChaosJson.doc;

/**
 * A simulated LLM provider over HTTP, refereed by a {@link ProviderLimiter}:
 * <ul>
 *   <li>{@code POST /v1/complete} with {@code Authorization: Bearer <secret>} and {@code {"tokens":N}}
 *       → 200 {@code {"keyId","tokensUsed"}}, 429 with {@code Retry-After}, or 401;</li>
 *   <li>the same call answered as OpenAI ({@code POST /v1/chat/completions}), Anthropic
 *       ({@code POST /v1/messages}, key in {@code x-api-key}) or Gemini
 *       ({@code POST /v1beta/models/<model>:generateContent}, key in {@code x-goog-api-key}) would
 *       answer it: their rate-limit headers, 429 bodies and usage fields ({@link ProviderStyle});</li>
 *   <li>{@code POST /external} {@code {"keyId":"k1","calls":5,"tokens":100}}: calls made with a key
 *       from outside QuotaHub, counted in its windows (answers how many fitted);</li>
 *   <li>{@code GET /stats}, {@code POST /stats/reset}, {@code GET /calls}, {@code GET /health}.</li>
 * </ul>
 * Everything it answers names keys by id, never by secret.
 */
public final class ProviderServer implements AutoCloseable {

    private static final int MAX_BODY = 64 * 1024;

    private final ProviderLimiter limiter;
    private final Duration latency;
    private final HttpServer server;
    private final ExecutorService executor;

    private ProviderServer(ProviderLimiter limiter, Duration latency, HttpServer server, ExecutorService executor) {
        this.limiter = limiter;
        this.latency = latency;
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts listening on {@code host:port} (port 0 picks a free one).
     *
     * @throws IOException if the port cannot be bound
     */
    public static ProviderServer start(List<ProviderKey> keys, String host, int port, Duration latency) throws IOException {
        return start(new ProviderLimiter(keys, new MonotonicClock()), host, port, latency);
    }

    /** Starts a server around an existing limiter (tests inject one with a manual clock). */
    public static ProviderServer start(ProviderLimiter limiter, String host, int port, Duration latency) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 256);
        ExecutorService ex = Executors.newFixedThreadPool(64, r -> {
            Thread t = new Thread(r, "provider-http");
            t.setDaemon(true);
            return t;
        });
        ProviderServer s = new ProviderServer(limiter, latency == null ? Duration.ZERO : latency, http, ex);
        http.createContext("/v1/complete", s::complete);
        http.createContext("/v1/chat/completions", s::complete);
        http.createContext("/v1/messages", s::complete);
        http.createContext("/v1beta/models/", s::complete);
        http.createContext("/external", s::external);
        http.createContext("/stats", s::stats);
        http.createContext("/calls", s::calls);
        http.createContext("/health", e -> s.send(e, 200, "{\"status\":\"UP\"}", Map.of()));
        http.createContext("/", e -> s.send(e, 404, "{\"error\":\"not_found\"}", Map.of()));
        http.setExecutor(ex);
        http.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public ProviderLimiter limiter() {
        return limiter;
    }

    private void complete(HttpExchange e) throws IOException {
        ProviderStyle style = ProviderStyle.ofPath(e.getRequestURI().getPath()).orElse(null);
        if (style == null) {
            send(e, 404, "{\"error\":\"not_found\"}", Map.of());
            return;
        }
        if (!"POST".equals(e.getRequestMethod())) {
            send(e, 405, "{\"error\":\"method_not_allowed\"}", Map.of("Allow", "POST"));
            return;
        }
        long tokens;
        try {
            tokens = tokensField(readBody(e));
            if (tokens < 0) {
                throw new IllegalArgumentException("'tokens' must be >= 0");
            }
        } catch (IllegalArgumentException ex) {
            send(e, 400, ChaosJson.write(doc("error", "bad_request", "message", ex.getMessage())), Map.of());
            return;
        }
        ProviderLimiter.Result r = limiter.call(secret(e), tokens);
        if (r.status() == ProviderLimiter.OK) {
            sleepLatency();
        }
        ProviderStyle.Answer a = style.answer(r, limiter.now());
        send(e, a.status(), a.body(), a.headers());
    }

    /** The key as each provider takes it: a bearer token, {@code x-api-key} or {@code x-goog-api-key}. */
    private static String secret(HttpExchange e) {
        String auth = e.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).trim();
        }
        String key = e.getRequestHeaders().getFirst("x-api-key");
        return key != null ? key.trim() : e.getRequestHeaders().getFirst("x-goog-api-key");
    }

    private void external(HttpExchange e) throws IOException {
        if (!"POST".equals(e.getRequestMethod())) {
            send(e, 405, "{\"error\":\"method_not_allowed\"}", Map.of("Allow", "POST"));
            return;
        }
        try {
            Map<String, Object> body = ChaosJson.obj(ChaosJson.parse(readBody(e)));
            String keyId = String.valueOf(body.get("keyId"));
            long calls = ChaosJson.num(body.getOrDefault("calls", 1));
            long tokens = ChaosJson.num(body.getOrDefault("tokens", 1));
            long admitted = limiter.external(keyId, calls, tokens);
            send(e, 200, ChaosJson.write(doc("keyId", keyId, "calls", calls, "admitted", admitted)), Map.of());
        } catch (IllegalArgumentException | ClassCastException ex) {
            send(e, 400, ChaosJson.write(doc("error", "bad_request", "message", String.valueOf(ex.getMessage()))), Map.of());
        }
    }

    private void stats(HttpExchange e) throws IOException {
        String path = e.getRequestURI().getPath();
        if (path.equals("/stats/reset") && "POST".equals(e.getRequestMethod())) {
            limiter.reset();
            send(e, 200, "{\"reset\":true}", Map.of());
        } else if (path.equals("/stats") && "GET".equals(e.getRequestMethod())) {
            send(e, 200, statsJson(limiter.stats()), Map.of());
        } else {
            send(e, 404, "{\"error\":\"not_found\"}", Map.of());
        }
    }

    private void calls(HttpExchange e) throws IOException {
        List<Map<String, Object>> calls = new ArrayList<>();
        for (ProviderLimiter.Call c : limiter.calls()) {
            long epochNanos = c.time().getEpochSecond() * 1_000_000_000L + c.time().getNano();
            calls.add(doc("time", c.time().toString(), "epochNanos", epochNanos, "keyId", c.keyId(), "tokens", c.tokens(),
                    "status", c.status()));
        }
        send(e, 200, ChaosJson.write(calls), Map.of());
    }

    /** The {@code /stats} document: totals first, then one entry per key id. */
    public static String statsJson(ProviderLimiter.Stats s) {
        Map<String, Object> keys = new LinkedHashMap<>();
        for (Map.Entry<String, ProviderLimiter.KeyStats> k : s.keys().entrySet()) {
            ProviderLimiter.KeyStats ks = k.getValue();
            List<Map<String, Object>> fills = new ArrayList<>();
            for (ProviderLimiter.WindowFill f : ks.maxWindowFill()) {
                fills.add(doc("limit", f.limit(), "max", f.max(), "capacity", f.capacity(), "current", f.current()));
            }
            keys.put(k.getKey(), doc("requests", ks.requests(), "ok", ks.ok(), "rateLimited", ks.rateLimited(),
                    "tokensUsed", ks.tokensUsed(), "maxWindowFill", fills, "externalOk", ks.externalOk(),
                    "externalRefused", ks.externalRefused()));
        }
        return ChaosJson.write(doc("requests", s.requests(), "rateLimited", s.rateLimited(), "ok", s.ok(),
                "unauthorized", s.unauthorized(), "keys", keys));
    }


    /**
     * The request's {@code tokens}, 1 when the body is empty, not a JSON object or has none.
     *
     * @throws IllegalArgumentException if {@code tokens} is present but not a whole number
     */
    static long tokensField(String body) {
        Object tree;
        try {
            tree = body == null || body.isBlank() ? null : ChaosJson.parse(body);
        } catch (IllegalArgumentException notJson) {
            return 1;
        }
        if (!(tree instanceof Map<?, ?> m) || !m.containsKey("tokens")) {
            return 1;
        }
        Object v = m.get("tokens");
        if (v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger && ((java.math.BigInteger) v).bitLength() < 64) {
            return ((Number) v).longValue();
        }
        throw new IllegalArgumentException("'tokens' must be a whole number");
    }

    private void sleepLatency() {
        if (!latency.isZero()) {
            try {
                Thread.sleep(latency.toMillis());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String readBody(HttpExchange e) throws IOException {
        try (InputStream in = e.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                throw new IllegalArgumentException("body too large");
            }
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private void send(HttpExchange e, int status, String json, Map<String, String> headers) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().set("Content-Type", "application/json");
        headers.forEach((k, v) -> e.getResponseHeaders().set(k, v));
        e.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = e.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
