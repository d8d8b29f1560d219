package io.quotahub.hub.twohub;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Priority;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Switching a pool's policies is a reload, on two real hubs: a pool switched to shadow mode and back,
 * given a fallback pool, and another pool given blocks. After each reload both hubs act on it (and
 * their metrics and state show it), and the reload's reply names the change.
 */
class PolicyReloadTwoHubTest {

    @TempDir
    Path dir;

    private Path poolsFile;
    private Path secret;

    /** The pools file: {@code demo} (2 calls an hour) and {@code spare} (100 an hour). */
    private String yaml(String demoMode, boolean fallback, boolean blocks) {
        return """
                quotahub:
                  pools:
                    demo:
                      mode: %s
                      fallback: [%s]
                      keys:
                        - id: k1
                          secret-file: %s
                          limits:
                            - { requests: 2, per: 1h }
                    spare:
                %s      keys:
                        - id: k2
                          secret-file: %s
                          limits:
                            - { requests: 100, per: 1h }
                """.formatted(demoMode, fallback ? "spare" : "", secret,
                blocks ? "      blocks: { max-calls: 20, expiry: 2s }\n" : "", secret);
    }

    private Map<String, Object> startPools() {
        return Map.of(
                "demo", Map.of("keys", List.of(key("k1", secret, List.of(requests(2, "1h"))))),
                "spare", Map.of("keys", List.of(key("k2", secret, List.of(requests(100, "1h"))))));
    }

    private TestHub hub(NatsPair pair, String id, String peer) {
        return TestHub.start(pair.server(id), id, startPools(), Map.of("quotahub.peer-id", peer,
                "micronaut.config.files", poolsFile.toString()));
    }

    private void writePools(String text) throws Exception {
        Path tmp = Files.writeString(dir.resolve("pools.yml.tmp"), text);
        Files.move(tmp, poolsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }

    private static long version(TestHub hub) {
        Matcher m = Pattern.compile("\"version\":(\\d+)").matcher(hub.get("/api/v1/config").body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Writes the file, reloads through {@code via}, checks the reply names {@code change}, waits for both hubs. */
    private void reload(TestHub via, TestHub other, String text, String change) throws Exception {
        long target = version(via) + 1;
        writePools(text);
        HttpResponse<String> reply = via.post("/api/v1/admin/config/reload", "{}");
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(reply.body()).contains("\"changed\":true").contains("policies: " + change);
        await("both hubs run version " + target, () -> version(via) == target && version(other) == target);
    }

    private static AcquireReply acquire(Connection client, String hub, String pool, int blockCalls) throws Exception {
        AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId("agent-" + hub)
                .setPool(pool).setTokens(1).setBlockCalls(blockCalls).setPriority(Priority.NORMAL)
                .setDeadlineEpochMs(System.currentTimeMillis() + 5_000).build();
        return AcquireReply.parseFrom(client.request(Subjects.hubAcquire(hub), request.toByteArray(), Duration.ofSeconds(5)).getData());
    }

    private static double counter(TestHub hub, String metric, String labels) {
        Matcher m = Pattern.compile(metric + "\\{" + labels + "} ([0-9.]+)").matcher(hub.get("/prometheus").body());
        double sum = -1;
        while (m.find()) {
            sum = Math.max(sum, 0) + Double.parseDouble(m.group(1));
        }
        return sum;
    }

    @Test
    void modeFallbackAndBlocks_switchedByReloads_areFollowedByBothHubs_andNamedInTheReply() throws Exception {
        secret = secretFile(dir, "k", "sk-policy-reload-000001");
        poolsFile = dir.resolve("pools.yml");
        writePools(yaml("enforce", false, false));
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge"); TestHub edge = hub(pair, "edge", "main");
             Connection client = Nats.connect(pair.server("main").url())) {
            await("peers connected", () -> main.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED
                    && edge.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED);
            Map<String, TestHub> hubs = Map.of("main", main, "edge", edge);
            // enforced: the 2 an hour are used, then both hubs refuse
            for (String h : List.of("main", "edge", "main", "edge")) {
                acquire(client, h, "demo", 0);
            }
            for (String h : hubs.keySet()) {
                assertThat(acquire(client, h, "demo", 0).hasGranted()).as("enforced on %s", h).isFalse();
            }

            reload(main, edge, yaml("shadow", false, false), "demo mode enforce -> shadow");
            for (var h : hubs.entrySet()) {
                AcquireReply shadowed = acquire(client, h.getKey(), "demo", 0);
                assertThat(shadowed.hasGranted()).as("shadow on %s: %s", h.getKey(), shadowed).isTrue();
                assertThat(shadowed.getGranted().hasShadowRefusal()).isTrue();
                assertThat(counter(h.getValue(), "quotahub_shadow_refusals_total",
                        "code=\"[A-Z_]+\",hub=\"" + h.getKey() + "\",key=\"k1\",pool=\"demo\"")).as("counted on %s", h.getKey())
                        .isEqualTo(1.0);
                assertThat(h.getValue().get("/api/v1/state").body()).contains("\"mode\":\"shadow\"");
            }

            reload(edge, main, yaml("enforce", false, false), "demo mode shadow -> enforce");
            for (var h : hubs.entrySet()) {
                assertThat(acquire(client, h.getKey(), "demo", 0).hasGranted()).as("enforced again on %s", h.getKey()).isFalse();
                assertThat(h.getValue().get("/api/v1/state").body()).doesNotContain("\"mode\":\"shadow\"");
            }

            reload(main, edge, yaml("enforce", true, false), "demo fallback [] -> [spare]");
            for (var h : hubs.entrySet()) {
                AcquireReply fallback = acquire(client, h.getKey(), "demo", 0);
                assertThat(fallback.hasGranted()).as("served by the fallback on %s: %s", h.getKey(), fallback).isTrue();
                assertThat(fallback.getGranted().getPool()).isEqualTo("spare");
                assertThat(fallback.getGranted().getRequestedPool()).isEqualTo("demo");
                assertThat(counter(h.getValue(), "quotahub_fallback_leases_total",
                        "fallback=\"spare\",hub=\"" + h.getKey() + "\",pool=\"demo\"")).isEqualTo(1.0);
            }

            for (String h : hubs.keySet()) {
                AcquireReply single = acquire(client, h, "spare", 20);
                assertThat(single.getGranted().getBlockCalls()).as("no blocks yet on %s", h).isLessThanOrEqualTo(1);
            }
            reload(edge, main, yaml("enforce", true, true), "spare blocks off -> 20 calls for PT2S");
            for (String h : hubs.keySet()) {
                AcquireReply block = acquire(client, h, "spare", 20);
                assertThat(block.getGranted().getBlockCalls()).as("a block on %s: %s", h, block).isGreaterThan(1);
            }
        }
    }
}
