package io.quotahub.hub.metrics;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quotahub.hub.TestHub;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Granted;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The provider's figures per key on {@code /prometheus} (call durations from the settles'
 * {@code call_duration_ms}, tokens, 429s) and the cooldowns: applied (a histogram per pool), next
 * and learned (gauges per key), against a real hub and nats-server, settles sent over NATS.
 */
class ProviderMetricsTest {

    private static final String SECRET_CALLS = "sk-provider-metrics-SECRET-calls-7777";
    private static final String SECRET_COOL = "sk-provider-metrics-SECRET-cool-8888";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static Connection client;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", Map.of(
                "calls", Map.of("keys", List.of(key("c1", secretFile(dir, "c1", SECRET_CALLS), List.of(requests(1000, "1h"))))),
                "cool", Map.of("preset", "PREMIUM", "keys", List.of(key("r1", secretFile(dir, "r1", SECRET_COOL), List.of(requests(1000, "1h")))))));
        client = Nats.connect(nats.url());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        hub.close();
        nats.close();
    }

    private static AcquireReply acquire(String pool) throws Exception {
        AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("provider-metrics")
                .setPool(pool).setTokens(10).setPriority(Priority.NORMAL).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        Message reply = client.request(Subjects.ACQUIRE, request.toByteArray(), Duration.ofSeconds(5));
        assertThat(reply).as("reply").isNotNull();
        return AcquireReply.parseFrom(reply.getData());
    }

    private static Granted grant(String pool) throws Exception {
        AcquireReply reply = acquire(pool);
        assertThat(reply.hasGranted()).as(reply.toString()).isTrue();
        return reply.getGranted();
    }

    private static void settle(Granted lease, Outcome outcome, long tokensUsed, long callDurationMs) throws Exception {
        SettleReply settled = settleReply(lease, outcome, tokensUsed, callDurationMs);
        assertThat(settled.hasError()).as(settled.toString()).isFalse();
    }

    private static SettleReply settleReply(Granted lease, Outcome outcome, long tokensUsed, long callDurationMs) throws Exception {
        SettleRequest request = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setLeaseId(lease.getLeaseId())
                .setLeaseSecret(lease.getLeaseSecret()).setAgentId("provider-metrics").setTokensUsed(tokensUsed).setOutcome(outcome)
                .setCallDurationMs(callDurationMs).setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        Message reply = client.request(Subjects.SETTLE, request.toByteArray(), Duration.ofSeconds(5));
        assertThat(reply).as("reply").isNotNull();
        return SettleReply.parseFrom(reply.getData());
    }

    /** A scrape newer than any gauge snapshot taken before this call. */
    private static Scrape freshScrape() throws InterruptedException {
        Thread.sleep(HubGauges.MAX_AGE.toMillis() + 20);
        return Scrape.of(hub);
    }

    private static Map<String, String> tags(String pool, String key, String... more) {
        Map<String, String> t = new HashMap<>(Map.of("hub", "main", "pool", pool, "key", key));
        for (int i = 0; i < more.length; i += 2) {
            t.put(more[i], more[i + 1]);
        }
        return t;
    }

    private static double delta(Scrape after, Scrape before, String name, Map<String, String> tags) {
        return after.value(name, tags) - before.value(name, tags);
    }

    @Test
    void callDurationsAndTokensOfSettlesAreExportedPerKey_withoutTheSecret() throws Exception {
        Scrape before = Scrape.of(hub);
        assertThat(before.find("quotahub_provider_call_duration_seconds_bucket", tags("calls", "c1")))
                .as("every key's histogram exists from start-up").hasSize(ProviderCallMetrics.CALL_BUCKETS_SECONDS.length + 1);

        Granted[] leases = new Granted[6];
        for (int i = 0; i < leases.length; i++) {
            leases[i] = grant("calls");
        }
        settle(leases[0], Outcome.OK, 100, 120);
        settle(leases[1], Outcome.OK, 200, 800);
        // not measured, implausible: the settles count, their durations do not; a negative one is refused
        settle(leases[2], Outcome.OK, 300, 0);
        assertThat(settleReply(leases[3], Outcome.OK, 0, -5).getError().getMessage()).contains("callDurationMs");
        settle(leases[3], Outcome.OK, 0, 0);
        settle(leases[4], Outcome.OK, 0, Duration.ofHours(2).toMillis());
        settle(leases[5], Outcome.RATE_LIMITED, 0, 3_000);

        Scrape after = Scrape.of(hub);
        Map<String, String> c1 = tags("calls", "c1");
        assertThat(delta(after, before, "quotahub_provider_call_duration_seconds_count", c1)).isEqualTo(3);
        assertThat(delta(after, before, "quotahub_provider_call_duration_seconds_sum", c1)).isCloseTo(3.92, within(1e-9));
        assertThat(delta(after, before, "quotahub_provider_call_duration_seconds_bucket", tags("calls", "c1", "le", "0.25"))).isEqualTo(1);
        assertThat(delta(after, before, "quotahub_provider_call_duration_seconds_bucket", tags("calls", "c1", "le", "1.0"))).isEqualTo(2);
        assertThat(delta(after, before, "quotahub_provider_call_duration_seconds_bucket", tags("calls", "c1", "le", "5.0"))).isEqualTo(3);
        assertThat(delta(after, before, "quotahub_provider_call_duration_seconds_bucket", tags("calls", "c1", "le", "+Inf"))).isEqualTo(3);
        assertThat(delta(after, before, "quotahub_key_tokens_used_total", c1)).isEqualTo(600);
        assertThat(delta(after, before, "quotahub_leases_settled_total", tags("calls", "c1", "outcome", "RATE_LIMITED")))
                .as("the 429s per key").isEqualTo(1);
        assertThat(delta(after, before, "quotahub_provider_call_duration_seconds_count", tags("cool", "r1"))).as("another key").isZero();
        assertThat(after.text()).doesNotContain(SECRET_CALLS).doesNotContain(SECRET_COOL).doesNotContain("sk-");
    }

    @Test
    void appliedCooldownsFillAHistogramPerPool_andTheNextAndLearnedCooldownsAreGaugesPerKey() throws Exception {
        Scrape before = freshScrape();
        Map<String, String> cool = Map.of("hub", "main", "pool", "cool");
        Map<String, String> r1 = tags("cool", "r1");
        assertThat(before.value("quotahub_key_cooldown_next_seconds", r1)).as("the ladder's first step").isEqualTo(1);
        assertThat(before.value("quotahub_key_cooldown_learned_seconds", r1)).isZero();

        // two calls in flight both get a 429: 1 s, then (the second in a row) 3 s
        Granted first = grant("cool");
        Granted second = grant("cool");
        settle(first, Outcome.RATE_LIMITED, 0, 50);
        settle(second, Outcome.RATE_LIMITED, 0, 50);
        // the first lease after the cooldown gets a 429 too: a relapse, the key learns 2 x 3 s
        AtomicReference<Granted> afterCooldown = new AtomicReference<>();
        Awaitility.await("the cooldown ends").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            AcquireReply reply = acquire("cool");
            afterCooldown.set(reply.hasGranted() ? reply.getGranted() : null);
            return reply.hasGranted();
        });
        settle(afterCooldown.get(), Outcome.RATE_LIMITED, 0, 50);

        Scrape after = freshScrape();
        assertThat(delta(after, before, "quotahub_cooldown_applied_seconds_count", cool)).isEqualTo(3);
        assertThat(delta(after, before, "quotahub_cooldown_applied_seconds_sum", cool)).isCloseTo(1 + 3 + 10, within(1e-9));
        Map<String, String> le1 = new HashMap<>(cool);
        le1.put("le", "1.0");
        Map<String, String> le3 = new HashMap<>(cool);
        le3.put("le", "3.0");
        Map<String, String> le10 = new HashMap<>(cool);
        le10.put("le", "10.0");
        assertThat(delta(after, before, "quotahub_cooldown_applied_seconds_bucket", le1)).isEqualTo(1);
        assertThat(delta(after, before, "quotahub_cooldown_applied_seconds_bucket", le3)).isEqualTo(2);
        assertThat(delta(after, before, "quotahub_cooldown_applied_seconds_bucket", le10)).isEqualTo(3);
        // the third 429 in a row: max(ladder's 10 s, learned 6 s); the next would be the ladder's 30 s
        assertThat(after.value("quotahub_key_cooldown_learned_seconds", r1)).isEqualTo(6);
        assertThat(after.value("quotahub_key_cooldown_next_seconds", r1)).isEqualTo(30);
        // and three failures in a row open the circuit and block the key for 30 s
        assertThat(after.value("quotahub_key_cooldown_seconds", r1)).isBetween(20.0, 30.0);
        assertThat(after.value("quotahub_key_circuit", tags("cool", "r1", "state", "OPEN"))).isEqualTo(1);

        // the state endpoint shows the same
        Map<String, Object> key = stateOf("cool", "r1");
        assertThat(((Number) key.get("learnedCooldownMs")).longValue()).isEqualTo(6_000);
        assertThat(((Number) key.get("nextCooldownMs")).longValue()).isEqualTo(30_000);
        assertThat(((Number) key.get("cooldownMs")).longValue()).isBetween(20_000L, 30_000L);
        assertThat(hub.get("/api/v1/state").body()).doesNotContain(SECRET_COOL);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stateOf(String pool, String keyId) throws Exception {
        Map<String, Object> state = hub.bean(JsonMapper.class).readValue(hub.get("/api/v1/state").body(),
                Argument.mapOf(String.class, Object.class));
        for (Map<String, Object> p : (List<Map<String, Object>>) state.get("pools")) {
            if (p.get("name").equals(pool)) {
                for (Map<String, Object> k : (List<Map<String, Object>>) p.get("keys")) {
                    if (k.get("id").equals(keyId)) {
                        return k;
                    }
                }
            }
        }
        throw new AssertionError("no key " + pool + "/" + keyId + " in the state");
    }
}
