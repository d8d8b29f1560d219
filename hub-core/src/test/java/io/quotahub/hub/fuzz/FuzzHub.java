package io.quotahub.hub.fuzz;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One real hub beside its own nats-server, shaped for hostile-input runs: windows of an hour and
 * leases that live half an hour, so nothing in the engine moves by itself while a batch of
 * hostile messages is in flight (before/after views can be compared), and agents that are dead
 * after 300 ms, so a forged heartbeat shows its effect (a reclaim) within a second.
 */
final class FuzzHub implements AutoCloseable {

    static final String HUB_ID = "main";
    static final String POOL = "fuzz-pool";
    static final List<String> KEYS = List.of("k1", "k2");
    static final long TOKENS_PER_HOUR = 100_000_000L;
    /** The hub's bound on one message (quotahub.max-message-bytes), set here so the tests do not depend on the default. */
    static final int MAX_MESSAGE_BYTES = 65_536;
    /** The bound on agent id, request id, pool, key id and failure text (quotahub.max-field-bytes, 128 by default). */
    static final int MAX_FIELD_BYTES = 128;
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final NatsServer nats;
    private final TestHub hub;
    private final Connection client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private FuzzHub(Path dir, NatsServer nats, TestHub hub, Connection client) {
        this.dir = dir;
        this.nats = nats;
        this.hub = hub;
        this.client = client;
    }

    static FuzzHub start() {
        return start(Map.of());
    }

    /** With some of the hub's settings replaced (e.g. quotahub.agent-dead-after). */
    static FuzzHub start(Map<String, Object> overrides) {
        Path dir;
        try {
            dir = Files.createTempDirectory("qh-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NatsServer nats = NatsServer.start();
        List<Map<String, Object>> limits = List.of(requests(1_000_000, "1h"), tokens(TOKENS_PER_HOUR, "1h"));
        Map<String, Object> pools = Map.of(POOL, Map.of(
                "limits", List.of(requests(10_000_000, "1h")),
                "keys", List.of(
                        key("k1", secretFile(dir, "k1", "sk-fuzz-key-one-000001"), limits),
                        key("k2", secretFile(dir, "k2", "sk-fuzz-key-two-000002"), limits))));
        Map<String, Object> settings = new HashMap<>(Map.of(
                "quotahub.lease-ttl", "30m",
                "quotahub.agent-dead-after", "300ms",
                "quotahub.max-message-bytes", MAX_MESSAGE_BYTES,
                "quotahub.max-field-bytes", MAX_FIELD_BYTES,
                "quotahub.snapshot-every", 0));
        settings.putAll(overrides);
        TestHub hub = TestHub.start(nats, HUB_ID, pools, settings);
        try {
            return new FuzzHub(dir, nats, hub, Nats.connect(nats.url()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    QuotaEngine engine() {
        return hub.bean(QuotaEngine.class);
    }

    HubRuntime runtime() {
        return hub.bean(HubRuntime.class);
    }

    Connection client() {
        return client;
    }

    PoolSpec pool() {
        return engine().config().pools().stream().filter(p -> p.name().equals(POOL)).findFirst().orElseThrow();
    }

    /** What the contract allows: the largest estimate of one acquire and the largest report of one settle. */
    WireContract contract() {
        return new WireContract(POOL, TOKENS_PER_HOUR, pool().maxTokensPerCall(), MAX_MESSAGE_BYTES, MAX_FIELD_BYTES);
    }

    CompletableFuture<Message> request(String subject, byte[] body) {
        return client.requestWithTimeout(subject, body, REPLY_TIMEOUT);
    }

    void publish(String subject, byte[] body) {
        client.publish(subject, body);
    }

    /**
     * Waits until the hub's acquire and settle dispatchers have handled everything sent before:
     * one request on each, answered in order behind the messages that had no reply subject.
     */
    void drain() {
        byte[] unknownPool = AcquireRequest.newBuilder().setRequestId("drain").setAgentId("drain").setPool("no-such-pool")
                .setTokens(1).setDeadlineEpochMs(System.currentTimeMillis() + 60_000).build().toByteArray();
        CompletableFuture<Message> acquires = request(Subjects.ACQUIRE, unknownPool);
        CompletableFuture<Message> settles = request(Subjects.SETTLE, new byte[0]);
        CompletableFuture.allOf(acquires, settles).orTimeout(REPLY_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).join();
    }

    /** The hub is ready, says so on its health endpoint, and still answers on NATS. */
    void assertStillServing() {
        assertThat(runtime().ready()).as("hub ready (%s)", runtime().notReadyReason()).isTrue();
        assertThat(get(hub.uri("/health")).statusCode()).as("GET /health").isEqualTo(200);
        drain();
    }

    /** Waits until every agent that sent a heartbeat is dead and forgotten (its forged leases reclaimed, if any). */
    void awaitNoAgentsKnown() {
        Awaitility.await("agents known to the hub are dead and forgotten")
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> runtime().agents().all().isEmpty());
    }

    URI uri(String pathAndQuery) {
        return hub.uri(pathAndQuery);
    }

    HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("no HTTP answer to " + request.method() + " " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<byte[]> get(URI uri) {
        return send(HttpRequest.newBuilder(uri).timeout(REPLY_TIMEOUT).GET().build());
    }

    HttpResponse<byte[]> postJson(String path, String json) {
        return send(HttpRequest.newBuilder(hub.uri(path)).timeout(REPLY_TIMEOUT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        hub.close();
        nats.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }
}
