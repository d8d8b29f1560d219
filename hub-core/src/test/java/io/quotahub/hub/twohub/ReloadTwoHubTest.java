package io.quotahub.hub.twohub;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.BudgetView;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsPair;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reloads and rotations on two real hubs (each beside its own nats-server, linked by a leafnode)
 * while SDK agents acquire on both: limits lowered and raised through the ledger, a bad file that
 * changes nothing, a key's secret rotated. The pools live in one file both hubs were started with.
 */
class ReloadTwoHubTest {

    private static final long WINDOW_MILLIS = 2000;
    /** Calls of leases granted before a switch are made within this after it (agents call at once). */
    private static final long CALL_SLACK_MILLIS = 200;

    @TempDir
    Path dir;

    private Path poolsFile;
    private Path secret;

    private static String yaml(Path secret, long requests) {
        return """
                quotahub:
                  pools:
                    demo:
                      preset: PREMIUM
                      keys:
                        - id: k1
                          secret-file: %s
                          limits:
                            - { requests: %d, per: 2s }
                """.formatted(secret, requests);
    }

    private Map<String, Object> pools(long requests) {
        return Map.of("demo", Map.of("preset", "PREMIUM", "keys", List.of(key("k1", secret, List.of(requests(requests, "2s"))))));
    }

    private TestHub hub(NatsPair pair, String id, String peer, long requests) {
        return TestHub.start(pair.server(id), id, pools(requests), Map.of("quotahub.peer-id", peer,
                "quotahub.takeover-after", "3s", "micronaut.config.files", poolsFile.toString()));
    }

    private void writePools(String text) throws Exception {
        Path tmp = Files.writeString(dir.resolve("pools.yml.tmp"), text);
        Files.move(tmp, poolsFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .until(condition::getAsBoolean);
    }

    private static long version(TestHub hub) {
        Matcher m = Pattern.compile("\"version\":(\\d+)").matcher(hub.get("/api/v1/config").body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    private static PeerStatus peerStatus(TestHub hub) {
        return hub.bean(HubRuntime.class).replication().status();
    }

    private static void assertBudgetsWithinTheLimit(TestHub hub, long capacity) {
        for (BudgetView b : hub.bean(QuotaEngine.class).budgetTable()) {
            assertThat(b.capacity()).isEqualTo(capacity);
            assertThat(b.committed()).as("I1 at the hub: %s", b).isLessThanOrEqualTo(capacity);
        }
    }

    /** Agents acquiring on one site as fast as they are granted; each call's time (just after its grant). */
    private static final class Agents implements AutoCloseable {
        final List<Long> calls = new CopyOnWriteArrayList<>();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final List<QuotaClient> clients = new ArrayList<>();

        Agents(NatsServer local, NatsServer remote, String site, int n) {
            for (int i = 0; i < n; i++) {
                QuotaClient client = QuotaClient.builder().servers(local.url(), remote.url()).agentId(site + "-agent-" + i)
                        .userPasswordFile(local.credentials(NatsServer.AGENT)).build();
                clients.add(client);
                Thread t = new Thread(() -> loop(client), "reload-agent-" + site + "-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void loop(QuotaClient client) {
            while (running.get()) {
                try (Lease lease = client.acquire("demo", 1, Duration.ofMillis(300))) {
                    calls.add(System.nanoTime()); // the agent's provider call
                    lease.complete(1);
                } catch (QuotaExhaustedException full) {
                    // the next try waits at the hub again
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            for (Thread t : threads) {
                t.join(10_000);
            }
            clients.forEach(QuotaClient::close);
        }
    }

    /** A switch: when the reload was sent and when both hubs were first seen to run it. */
    private record Switch(long sentNanos, long bothNanos, long from, long to) {
    }

    private Switch reload(TestHub via, TestHub other, String text, long from, long to) throws Exception {
        long before = version(via);
        writePools(text);
        long sent = System.nanoTime();
        HttpResponse<String> reply = via.post("/api/v1/admin/config/reload", "{}");
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(reply.body()).contains("\"changed\":true").contains("demo/k1#0 " + from + " -> " + to);
        long target = Long.parseLong(field(reply.body(), "version"));
        assertThat(target).isEqualTo(before + 1);
        await("both hubs run version " + target, Duration.ofSeconds(5), () -> version(via) == target && version(other) == target);
        long both = System.nanoTime();
        assertThat((both - sent) / 1_000_000).as("both hubs agree on the version within 1 s").isLessThan(1000);
        assertThat(field(reply.body(), "peer")).isIn("folded", "waiting");
        return new Switch(sent, both, from, to);
    }

    /**
     * The most calls in any window of {@code WINDOW_MILLIS} starting in [fromNanos, toNanos) and
     * ending before {@code endNanos}.
     */
    private static int mostInAWindow(List<Long> sorted, long fromNanos, long toNanos, long endNanos) {
        long w = WINDOW_MILLIS * 1_000_000;
        int most = 0;
        int j = 0;
        for (int i = 0; i < sorted.size(); i++) {
            long s = sorted.get(i);
            j = Math.max(j, i);
            while (j < sorted.size() && sorted.get(j) < s + w) {
                j++;
            }
            if (s >= fromNanos && s < toNanos && s + w <= endNanos) {
                most = Math.max(most, j - i);
            }
        }
        return most;
    }

    @Test
    void limitsLoweredAndRaisedWhileAgentsAcquireOnBothHubs_neverExceedTheLowerOfOldAndNewFromTheSwitchOn() throws Exception {
        secret = secretFile(dir, "k1", "sk-reload-two-hubs-000001");
        poolsFile = dir.resolve("pools.yml");
        writePools(yaml(secret, 30));
        try (NatsPair pair = NatsPair.start(); TestHub edge = hub(pair, "edge", "main", 30); TestHub main = hub(pair, "main", "edge", 30)) {
            await("peers connected", Duration.ofSeconds(10),
                    () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            List<Long> calls;
            Switch lower;
            Switch raise;
            long end;
            try (Agents onMain = new Agents(pair.main(), pair.edge(), "main", 2);
                 Agents onEdge = new Agents(pair.edge(), pair.main(), "edge", 2)) {
                Thread.sleep(3000); // a window and a half at the old limit (load, not a wait for a condition)
                lower = reload(main, edge, yaml(secret, 12), 30, 12);
                assertBudgetsWithinTheLimit(main, 12);
                assertBudgetsWithinTheLimit(edge, 12);
                Thread.sleep(4500);
                raise = reload(edge, main, yaml(secret, 24), 12, 24); // accepted by the other hub this time
                await("the raise is usable in full on both", Duration.ofSeconds(5),
                        () -> !main.bean(QuotaEngine.class).holdingRaises() && !edge.bean(QuotaEngine.class).holdingRaises());
                assertBudgetsWithinTheLimit(main, 24);
                assertBudgetsWithinTheLimit(edge, 24);
                Thread.sleep(4500);
                end = System.nanoTime();
                assertThat(onMain.failures).as("agents on main see no errors").isEmpty();
                assertThat(onEdge.failures).as("agents on edge see no errors").isEmpty();
                calls = new ArrayList<>(onMain.calls);
                calls.addAll(onEdge.calls);
            }
            calls.sort(Long::compare);
            long slack = CALL_SLACK_MILLIS * 1_000_000;
            long start = calls.get(0);
            // before the first reload: the old limit
            assertThat(mostInAWindow(calls, start, lower.sentNanos(), lower.sentNanos())).isLessThanOrEqualTo(30).isGreaterThan(12);
            // while it travels: within the old limit (the larger)
            assertThat(mostInAWindow(calls, start, lower.bothNanos() + slack, raise.sentNanos())).isLessThanOrEqualTo(30);
            // from the switch on: the lower of old and new, and the agents keep it busy
            int lowered = mostInAWindow(calls, lower.bothNanos() + slack, raise.sentNanos(), raise.sentNanos());
            assertThat(lowered).as("windows after the lowering switched").isLessThanOrEqualTo(12).isGreaterThanOrEqualTo(8);
            // the raise: never more than the new limit; its extra room is used once both switched
            assertThat(mostInAWindow(calls, start, end, end)).isLessThanOrEqualTo(30);
            assertThat(mostInAWindow(calls, lower.bothNanos() + slack, end, end)).isLessThanOrEqualTo(24);
            assertThat(mostInAWindow(calls, raise.bothNanos() + slack, end, end)).as("the raised limit is used").isGreaterThan(12);
        }
    }

    @Test
    void aReloadOfABadFile_changesNothing_andSaysWhyOverHttpAndThroughTheScript() throws Exception {
        secret = secretFile(dir, "k1", "sk-reload-bad-file-000001");
        poolsFile = dir.resolve("pools.yml");
        String good = yaml(secret, 30);
        writePools(good);
        try (NatsPair pair = NatsPair.start(); TestHub edge = hub(pair, "edge", "main", 30); TestHub main = hub(pair, "main", "edge", 30)) {
            await("main heard edge's pools", Duration.ofSeconds(10), () -> main.get("/api/v1/config").body().contains("peerDigest"));
            String before = main.get("/api/v1/config").body();
            List<String[]> bad = List.of(
                    new String[] {good.replace("secret-file", "secret-fil"), "quotahub.pools.demo.keys[0].secret-fil"},
                    new String[] {good.replace("per: 2s", "per: 2 fortnights"), "quotahub.pools.demo.keys[0].limits[0].per"},
                    new String[] {good.replace("        - id: k1\n", "        - id: k1\n"
                            + "          secret-file: " + secret + "\n        - id: k1\n"), "used twice"},
                    new String[] {good.replace("per: 2s", "per: 1m"), "limit 0 requests 30/PT2S -> requests 30/PT1M"},
                    new String[] {good.replace("secret-file: " + secret, "secret-file: " + dir.resolve("missing")), "cannot be read"},
                    new String[] {"quotahub: [oops", "is not valid YAML"});
            for (String[] b : bad) {
                writePools(b[0]);
                HttpResponse<String> reply = main.post("/api/v1/admin/config/reload", "{}");
                assertThat(reply.statusCode()).as(reply.body()).isEqualTo(400);
                assertThat(reply.body()).contains(b[1]).contains("nothing changed");
                assertThat(main.get("/api/v1/config").body()).isEqualTo(before);
                assertBudgetsWithinTheLimit(main, 30);
            }

            Path script = Path.of(System.getProperty("project.root", "..")).resolve("infra/quotahub").toAbsolutePath().normalize();
            writePools(good.replace("secret-file", "secret-fil"));
            Process p = new ProcessBuilder("bash", script.toString(), "reload", "--hub", main.uri("/").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isEqualTo(1);
            assertThat(out).contains("POST").contains("/api/v1/admin/config/reload")
                    .contains("quotahub.pools.demo.keys[0].secret-fil").contains("refused (400): nothing changed");

            writePools(good.replace("requests: 30", "requests: 20"));
            p = new ProcessBuilder("bash", script.toString(), "reload", "--hub", main.uri("/").toString()).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).contains("demo/k1#0 30 -> 20").contains("done: pools version 1");
            assertThat(main.get("/prometheus").body()).as("the series follow the reload")
                    .containsPattern("quotahub_limit_capacity\\{[^}]*limit=\"demo/k1#0\"[^}]*} 20\\.0");
            await("edge follows", Duration.ofSeconds(5), () -> version(edge) == 1);
            assertThat(main.get("/api/v1/admin/audit").body()).contains("config-reloaded v1");

            // a key a reload adds gets its per-key series at once, not after a restart
            Path second = secretFile(dir, "k2", "sk-reload-bad-file-000002");
            writePools(good.replace("requests: 30", "requests: 20") + """
                            - id: k2
                              secret-file: %s
                              limits:
                                - { requests: 10, per: 2s }
                    """.formatted(second));
            HttpResponse<String> added = main.post("/api/v1/admin/config/reload", "{}");
            assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
            assertThat(added.body()).contains("demo/k2");
            assertThat(main.get("/prometheus").body())
                    .containsPattern("quotahub_leases_granted_total\\{[^}]*key=\"k2\"[^}]*pool=\"demo\"[^}]*} 0\\.0")
                    .containsPattern("quotahub_leases_settled_total\\{[^}]*key=\"k2\"[^}]*outcome=\"OK\"[^}]*} 0\\.0");
            await("edge registers them when it follows", Duration.ofSeconds(5),
                    () -> edge.get("/prometheus").body().contains("key=\"k2\""));
        }
    }

    @Test
    void aRotatedKey_givesNewLeasesTheNewSecretOnBothHubs_openLeasesKeepTheirs_andNoSecretIsWrittenAnywhere() throws Exception {
        String oldSecret = "sk-rotate-old-AAAA-1111-secret";
        String newSecret = "sk-rotate-new-BBBB-2222-secret";
        secret = secretFile(dir, "k1", oldSecret);
        poolsFile = dir.resolve("pools.yml");
        writePools(yaml(secret, 1000));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        List<String> written = new ArrayList<>();
        try (NatsPair pair = NatsPair.start(); TestHub edge = hub(pair, "edge", "main", 1000); TestHub main = hub(pair, "main", "edge", 1000);
             QuotaClient onMain = QuotaClient.builder().servers(pair.main().url(), pair.edge().url()).agentId("rotate-main")
                     .userPasswordFile(pair.main().credentials(NatsServer.AGENT)).build();
             QuotaClient onEdge = QuotaClient.builder().servers(pair.edge().url(), pair.main().url()).agentId("rotate-edge")
                     .userPasswordFile(pair.edge().credentials(NatsServer.AGENT)).build()) {
            await("peers connected", Duration.ofSeconds(10),
                    () -> peerStatus(main) == PeerStatus.CONNECTED && peerStatus(edge) == PeerStatus.CONNECTED);
            Lease open = onMain.acquire("demo", 1, Duration.ofSeconds(5));
            Lease openOnEdge = onEdge.acquire("demo", 1, Duration.ofSeconds(5));
            assertThat(open.apiKey()).isEqualTo(oldSecret);
            HttpResponse<String> same = main.post("/api/v1/admin/keys/demo/k1/rotate", "{}");
            assertThat(same.statusCode()).isEqualTo(400);
            assertThat(same.body()).contains("still holds the secret in use").contains("nothing changed");
            written.add(same.body());

            Files.writeString(secret, newSecret + "\n");
            HttpResponse<String> rotated = main.post("/api/v1/admin/keys/demo/k1/rotate", "{}");
            assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
            written.add(rotated.body());

            try (Lease next = onMain.acquire("demo", 1, Duration.ofSeconds(5))) {
                assertThat(next.hubId()).isEqualTo("main");
                assertThat(next.apiKey()).as("the next lease gets the new secret at once").isEqualTo(newSecret);
                next.complete(1);
            }
            await("edge re-read its own source", Duration.ofSeconds(5), () -> {
                try (Lease l = onEdge.acquire("demo", 1, Duration.ofSeconds(5))) {
                    l.complete(1);
                    return l.hubId().equals("edge") && l.apiKey().equals(newSecret);
                }
            });
            assertThat(open.apiKey()).as("an open lease keeps the secret it got").isEqualTo(oldSecret);
            assertThat(openOnEdge.apiKey()).isEqualTo(oldSecret);
            open.complete(1);
            openOnEdge.complete(1);
            assertThat(open.isSettled()).isTrue();
            assertThat(openOnEdge.isSettled()).isTrue();
            assertThat(main.get("/api/v1/admin/audit").body()).contains("key-rotated");

            written.add(main.get("/api/v1/state").body());
            written.add(main.get("/prometheus").body());
            written.add(main.get("/api/v1/config").body());
            written.add(main.get("/api/v1/admin/audit").body());
            try (io.nats.client.Connection c = io.nats.client.Nats.connect(pair.main().url())) {
                var jsm = c.jetStreamManagement();
                for (String stream : List.of(Subjects.ledgerStream("main"))) {
                    long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
                    for (long seq = 1; seq <= last; seq++) {
                        written.add(new String(jsm.getMessage(stream, seq).getData(), StandardCharsets.ISO_8859_1));
                    }
                }
            }
            try (io.nats.client.Connection c = io.nats.client.Nats.connect(pair.edge().url())) {
                var jsm = c.jetStreamManagement();
                String stream = Subjects.ledgerStream("edge");
                long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
                for (long seq = 1; seq <= last; seq++) {
                    written.add(new String(jsm.getMessage(stream, seq).getData(), StandardCharsets.ISO_8859_1));
                }
            }
        } finally {
            root.detachAppender(logs);
        }
        logs.list.forEach(e -> written.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage())));
        assertThat(written).anyMatch(line -> line.contains("rotated"));
        assertThat(written).noneMatch(line -> line.contains(oldSecret) || line.contains(newSecret));
    }

    @Test
    void aSnapshotWrittenAfterAReload_isOfTheNewPools_andARestartWithTheNewFileStartsFromIt() throws Exception {
        secret = secretFile(dir, "k1", "sk-reload-snapshot-000001");
        poolsFile = dir.resolve("pools.yml");
        writePools(yaml(secret, 30));
        Map<String, Object> snapshots = Map.of("quotahub.snapshot-every", 1, "quotahub.snapshot-max-age", "200ms",
                "quotahub.takeover-after", "60s");
        try (NatsPair pair = NatsPair.start()) {
            java.util.HashMap<String, Object> edgeProps = new java.util.HashMap<>(snapshots);
            edgeProps.put("quotahub.peer-id", "main");
            edgeProps.put("micronaut.config.files", poolsFile.toString());
            java.util.HashMap<String, Object> mainProps = new java.util.HashMap<>(snapshots);
            mainProps.put("quotahub.peer-id", "edge");
            mainProps.put("micronaut.config.files", poolsFile.toString());
            try (TestHub edge = TestHub.start(pair.server("edge"), "edge", pools(30), edgeProps)) {
                TestHub main = TestHub.start(pair.server("main"), "main", pools(30), mainProps);
                HubRuntime runtime = main.bean(HubRuntime.class);
                try {
                    await("peers connected", Duration.ofSeconds(10), () -> peerStatus(main) == PeerStatus.CONNECTED);
                    assertThat(main.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"s\"}").statusCode())
                            .isEqualTo(200);
                    await("a snapshot", Duration.ofSeconds(10), () -> runtime.snapshots().latest() != null);
                    long before = runtime.snapshots().latest().ownSeq();
                    writePools(yaml(secret, 12));
                    assertThat(main.post("/api/v1/admin/config/reload", "{}").statusCode()).isEqualTo(200);
                    assertThat(main.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"s\"}").statusCode())
                            .isEqualTo(200);
                    await("a snapshot after the reload", Duration.ofSeconds(10), () -> runtime.snapshots().latest().ownSeq() > before + 1);
                } finally {
                    main.crash();
                }
            }
            edgeProps.put("quotahub.takeover-after", "60s");
            try (TestHub edge = TestHub.start(pair.server("edge"), "edge", pools(12), edgeProps);
                 TestHub restarted = TestHub.start(pair.server("main"), "main", pools(12), mainProps)) {
                assertThat(restarted.bean(HubRuntime.class).restoredFrom()).as("restarted from the snapshot of the new pools").isNotNull();
                assertThat(version(restarted)).isEqualTo(1);
                assertBudgetsWithinTheLimit(restarted, 12);
                assertThat(restarted.bean(QuotaEngine.class).budgetTable().get(0).usedByHub().get("main")).isEqualTo(2);
            }
        }
    }
}
