package io.quotahub.hub;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real hub (Micronaut context with its HTTP server on a free port) against a real nats-server,
 * for integration tests. Pools come as flat properties; secrets from files in a temp directory.
 */
public final class TestHub implements AutoCloseable {

    private final ApplicationContext context;
    private final HttpClient http = HttpClient.newHttpClient();

    private TestHub(ApplicationContext context) {
        this.context = context;
    }

    /** Starts a hub and waits until it is ready to grant. */
    public static TestHub start(NatsServer nats, String hubId, Map<String, Object> pools) {
        return start(nats, hubId, pools, Map.of());
    }

    /** Starts a hub with extra properties (e.g. quotahub.lease-ttl) and waits until it is ready. */
    public static TestHub start(NatsServer nats, String hubId, Map<String, Object> pools, Map<String, Object> extra) {
        // no quotahub.security.tokens unless extra has them: protected mode, every route open to this machine
        Map<String, Object> props = new HashMap<>(extra);
        props.put("micronaut.server.port", -1);
        props.put("endpoints.health.details-visible", "ANONYMOUS");
        props.put("micronaut.metrics.enabled", true);
        props.put("micronaut.metrics.export.prometheus.enabled", true);
        props.put("quotahub.hub-id", hubId);
        props.put("quotahub.nats-url", nats.url());
        if (nats.hasProductionUsers() && hubId.equals(nats.hubId()) && !props.containsKey("quotahub.nats.credentials-file")) {
            // the hub's production user and permissions, as on a real server (else the test's superuser)
            props.putIfAbsent("quotahub.nats.user-password-file", nats.hubCredentials().toString());
        }
        props.put("quotahub.pools", pools);
        ApplicationContext ctx = ApplicationContext.run(EmbeddedServer.class, props, "test").getApplicationContext();
        TestHub hub = new TestHub(ctx);
        hub.awaitReady();
        return hub;
    }

    /** A pool {@code name} with one key per (id, secret file) and the given limits on each key. */
    public static Map<String, Object> pool(String name, List<Map<String, Object>> keys) {
        return Map.of(name, Map.of("keys", keys));
    }

    public static Map<String, Object> key(String id, Path secretFile, List<Map<String, Object>> limits) {
        return Map.of("id", id, "secret-file", secretFile.toString(), "limits", limits);
    }

    public static Map<String, Object> requests(long n, String per) {
        return Map.of("requests", n, "per", per);
    }

    public static Map<String, Object> tokens(long n, String per) {
        return Map.of("tokens", n, "per", per);
    }

    public static Path secretFile(Path dir, String name, String secret) {
        try {
            return Files.writeString(dir.resolve(name), secret + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void awaitReady() {
        HubRuntime runtime = context.getBean(HubRuntime.class);
        try {
            Awaitility.await("hub ready").atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                    .until(runtime::ready);
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("hub not ready: " + runtime.notReadyReason(), e);
        }
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public URI uri(String path) {
        return context.getBean(EmbeddedServer.class).getURI().resolve(path);
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    public HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** A GET with {@code Authorization: Bearer <token>}. */
    public HttpResponse<String> get(String path, String token) {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + token).GET().build());
    }

    /** A POST with {@code Authorization: Bearer <token>}. */
    public HttpResponse<String> post(String path, String body, String token) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** One {@code quotahub.security.tokens} entry whose token is in a file. */
    public static Map<String, Object> tokenEntry(String name, String role, Path tokenFile) {
        return Map.of("name", name, "role", role, "token-file", tokenFile.toString());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A planned stop, as systemd's stop or Ctrl-C: the hub hands over to its peer, then closes. */
    @Override
    public void close() {
        context.close();
    }

    /**
     * A crash as the peer sees it: the hub closes without its planned stop (no hand-over), so the
     * peer finds it silent and takes it over.
     */
    public void crash() {
        bean(HubRuntime.class).close(); // Closed first: the shutdown's planned stop then does nothing
        context.close();
    }
}
