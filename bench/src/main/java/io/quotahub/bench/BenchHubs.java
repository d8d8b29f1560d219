package io.quotahub.bench;

import io.nats.client.support.JsonParser;
import io.nats.client.support.JsonValue;
import io.quotahub.testkit.HubProcess;
import io.quotahub.testkit.NatsPair;
import io.quotahub.testkit.NatsServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The hubs a benchmark runs, as separate processes from their jars (the same approach as the chaos
 * suite's {@code ProcessCluster}, kept small here so that bench does not depend on chaos): either a
 * pair — two nats-servers with JetStream domains main and edge, leafnode-linked through a cuttable
 * proxy ({@link NatsPair}), hub-main and hub-edge each configured with the other as
 * {@code quotahub.peer-id} — or a single hub-main (no peer) on its own nats-server. Key secrets are
 * random and passed in the environment only. {@link #close()} stops only what this started.
 */
final class BenchHubs implements AutoCloseable {

    static final Duration READY_WITHIN = Duration.ofSeconds(90);

    private final NatsPair pair;
    private final NatsServer single;
    private final Path dir;
    private final String poolsYaml;
    private final Map<String, String> secrets;
    private final Map<String, Path> jars;
    private final Map<String, HubProcess> hubs = new LinkedHashMap<>();

    private BenchHubs(NatsPair pair, NatsServer single, Path dir, String poolsYaml, Map<String, String> secrets,
                      Map<String, Path> jars) {
        this.pair = pair;
        this.single = single;
        this.dir = dir;
        this.poolsYaml = poolsYaml;
        this.secrets = secrets;
        this.jars = jars;
    }

    /**
     * The {@code pools:} block (two-space indent under {@code quotahub:}): each pool has preset
     * PREMIUM and one key {@code k1} with one {@code requests} limit; its secret is read from
     * {@code BENCH_<POOL>_K1}.
     */
    static String pools(Map<String, String> limitByPool) {
        StringBuilder sb = new StringBuilder("  pools:\n");
        limitByPool.forEach((pool, limit) -> sb.append("""
                    %s:
                      preset: PREMIUM
                      keys:
                        - id: k1
                          secret-env: %s
                          limits:
                            - { %s }
                """.formatted(pool, secretEnv(pool), limit)));
        return sb.toString();
    }

    private static String secretEnv(String pool) {
        return "BENCH_" + pool.toUpperCase().replaceAll("[^A-Z0-9]", "_") + "_K1";
    }

    private static Map<String, String> secrets(Iterable<String> pools) {
        Map<String, String> secrets = new LinkedHashMap<>();
        SecureRandom random = new SecureRandom();
        for (String pool : pools) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            secrets.put(secretEnv(pool), "sk-bench-" + HexFormat.of().formatHex(bytes));
        }
        return secrets;
    }

    /** Two nats-servers (domains main, edge) and both hubs, each the other's peer; waits until both are ready. */
    static BenchHubs pair(Path mainJar, Path edgeJar, Map<String, String> limitByPool) {
        Map<String, Path> jars = Map.of("main", mainJar, "edge", edgeJar);
        NatsPair nats = NatsPair.start();
        BenchHubs hubs = null;
        try {
            hubs = new BenchHubs(nats, null, Files.createTempDirectory("qh-bench-pair-"), pools(limitByPool),
                    secrets(limitByPool.keySet()), jars);
            hubs.startHub("main");
            hubs.startHub("edge");
            return hubs;
        } catch (IOException | RuntimeException e) {
            if (hubs != null) {
                hubs.close();
            } else {
                nats.close();
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** One nats-server (no domain) and hub-main without a peer. */
    static BenchHubs single(Path mainJar, Map<String, String> limitByPool) {
        NatsServer nats = NatsServer.start();
        BenchHubs hubs = null;
        try {
            hubs = new BenchHubs(null, nats, Files.createTempDirectory("qh-bench-single-"), pools(limitByPool),
                    secrets(limitByPool.keySet()), Map.of("main", mainJar));
            hubs.startHub("main");
            return hubs;
        } catch (IOException | RuntimeException e) {
            if (hubs != null) {
                hubs.close();
            } else {
                nats.close();
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** Starts (or restarts) a hub and waits until it is ready. */
    HubProcess startHub(String hubId) {
        String peerLine = pair == null ? "" : "  peer-id: " + (hubId.equals("main") ? "edge" : "main") + "\n";
        try {
            Path config = Files.writeString(dir.resolve("hub-" + hubId + ".yml"), """
                    quotahub:
                      hub-id: %s
                    %s  nats-url: %s
                      nats:
                        user-password-file: %s
                    %s""".formatted(hubId, peerLine, serverUrl(hubId), server(hubId).hubCredentials(), poolsYaml));
            HubProcess hub = HubProcess.start(jars.get(hubId), config, secrets, READY_WITHIN);
            hubs.put(hubId, hub);
            return hub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String serverUrl(String hubId) {
        return server(hubId).url();
    }

    private NatsServer server(String hubId) {
        return pair == null ? single : pair.server(hubId);
    }

    /** The agents' NATS user/password file (the servers run with the production users). */
    Path agentCredentials() {
        return server("main").credentials(NatsServer.AGENT);
    }

    HubProcess hub(String hubId) {
        return hubs.get(hubId);
    }

    NatsPair nats() {
        return pair;
    }

    /** NATS URLs for an agent on a machine: its own server first, the other as fallback. */
    String[] agentServers(String localHubId) {
        if (pair == null) {
            return new String[] {single.url()};
        }
        String other = localHubId.equals("main") ? "edge" : "main";
        return new String[] {pair.server(localHubId).url(), pair.server(other).url()};
    }

    // ---- GET /api/v1/state ----------------------------------------------------------------------

    /** One hub's view: peer status and, for the pool's key k1, its (single) limit's used and budget. */
    record State(String peerStatus, long replicationLagMs, long used, long budget, long capacity) {
    }

    State state(String hubId, String pool) {
        String body = hubs.get(hubId).get("/api/v1/state").body();
        JsonValue root = JsonParser.parseUnchecked(body);
        JsonValue peer = root.map.get("peer");
        String status = peer == null || peer.map == null ? "NONE" : peer.map.get("status").string;
        long lag = peer == null || peer.map == null ? -1 : num(peer.map.get("replicationLagMs"));
        for (JsonValue p : root.map.get("pools").array) {
            if (pool.equals(p.map.get("name").string)) {
                JsonValue limit = p.map.get("keys").array.get(0).map.get("limits").array.get(0);
                return new State(status, lag, num(limit.map.get("used")), num(limit.map.get("budget")),
                        num(limit.map.get("capacity")));
            }
        }
        throw new IllegalStateException("no pool " + pool + " in the state of " + hubId + ": " + body);
    }

    private static long num(JsonValue v) {
        if (v == null) {
            return -1;
        }
        if (v.i != null) {
            return v.i;
        }
        if (v.l != null) {
            return v.l;
        }
        if (v.bi != null) {
            return v.bi.longValue();
        }
        if (v.d != null) {
            return Math.round(v.d);
        }
        return -1;
    }

    String peerStatus(String hubId) {
        HubProcess hub = hubs.get(hubId);
        if (hub == null || !hub.isAlive()) {
            return "DOWN";
        }
        JsonValue peer = JsonParser.parseUnchecked(hub.get("/api/v1/state").body()).map.get("peer");
        return peer == null || peer.map == null ? "NONE" : peer.map.get("status").string;
    }

    boolean bothConnected() {
        try {
            return "CONNECTED".equals(peerStatus("main")) && "CONNECTED".equals(peerStatus("edge"));
        } catch (RuntimeException notAnswering) {
            return false;
        }
    }

    /** For failure messages: both hubs' state and log tails. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        hubs.forEach((id, hub) -> {
            if (hub.isAlive()) {
                try {
                    sb.append(id).append(" state: ").append(hub.get("/api/v1/state").body()).append('\n');
                } catch (RuntimeException e) {
                    sb.append(id).append(" state: ").append(e).append('\n');
                }
            }
            String log = hub.log();
            sb.append(id).append(" log tail: ").append(log.substring(Math.max(0, log.length() - 3000))).append('\n');
        });
        return sb.toString();
    }

    static void await(String what, Duration within, BooleanSupplier condition, BenchHubs forDiagnostics) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            boolean ok;
            try {
                ok = condition.getAsBoolean();
            } catch (RuntimeException notYet) {
                ok = false;
            }
            if (ok) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + within + " waiting for: " + what
                        + (forDiagnostics == null ? "" : "\n" + forDiagnostics.describe()));
            }
            sleep(20);
        }
    }

    /** Waits until {@code outstanding} is down to zero, at most {@code within}. */
    static void awaitZero(java.util.concurrent.atomic.AtomicLong outstanding, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (outstanding.get() > 0 && System.nanoTime() < deadline) {
            sleep(20);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(Math.max(0, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        hubs.values().forEach(HubProcess::close);
        if (pair != null) {
            pair.close();
        }
        if (single != null) {
            single.close();
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }
}
