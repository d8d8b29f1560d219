package io.quotahub.chaos.cluster;

import io.quotahub.testkit.HubProcess;
import io.quotahub.testkit.HubTokens;
import io.quotahub.testkit.NatsPair;
import io.quotahub.testkit.NatsServer;
import io.quotahub.testkit.Signals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The real system on one host, as separate processes: two nats-servers (JetStream domains main
 * and edge, leafnode-linked through a cuttable proxy) and the two hub jars, each configured with
 * the other as its peer. Secrets are random, passed in the environment only. {@link #close()}
 * stops everything it started, also when a test failed.
 */
public final class ProcessCluster implements ChaosCluster {

    private static final Duration READY_WITHIN = Duration.ofSeconds(120);

    private final NatsPair nats;
    private final Path dir;
    /** The pools block the config files hold: an operator's reload replaces it ({@link #replacePools}). */
    private volatile String poolsYaml;
    private final String extraYaml;
    private final Map<String, String> secrets;
    /** The hubs' HTTP tokens: the suite runs with authentication on, as a two-machine install does. */
    private final HubTokens tokens = HubTokens.random();
    private final Map<String, HubProcess> hubs = new LinkedHashMap<>();
    private final Map<String, Path> jars;
    private final List<ProcessHandle> started = new CopyOnWriteArrayList<>();
    private final Map<String, String> hubLogs = new ConcurrentHashMap<>();

    private ProcessCluster(NatsPair nats, Path dir, String poolsYaml, String extraYaml, Map<String, String> secrets,
                           Map<String, Path> jars) {
        this.nats = nats;
        this.dir = dir;
        this.poolsYaml = poolsYaml;
        this.extraYaml = extraYaml;
        this.secrets = secrets;
        this.jars = jars;
    }

    /**
     * Starts NATS and both hubs.
     *
     * @param poolsYaml the {@code pools:} block (indented under {@code quotahub:}, two spaces) whose
     *                  keys read their secrets with {@code secret-env: <NAME>}
     * @param secretEnvNames the env names used in poolsYaml; each gets a random secret
     * @param extraYaml more {@code quotahub.*} settings, same indentation (may be empty)
     */
    public static ProcessCluster start(Path projectRoot, String poolsYaml, Iterable<String> secretEnvNames, String extraYaml) {
        Map<String, String> secrets = new HashMap<>();
        SecureRandom random = new SecureRandom();
        for (String name : secretEnvNames) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            secrets.put(name, "sk-chaos-" + HexFormat.of().formatHex(bytes));
        }
        Map<String, Path> jars = Map.of(
                "main", projectRoot.resolve("hub-main/target/hub-main.jar"),
                "edge", projectRoot.resolve("hub-edge/target/hub-edge.jar"));
        jars.values().forEach(jar -> {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build with ./mvnw -B -DskipTests package");
            }
        });
        NatsPair nats = NatsPair.start();
        try {
            Path dir = Files.createTempDirectory("qh-cluster-");
            ProcessCluster cluster = new ProcessCluster(nats, dir, poolsYaml, extraYaml, secrets, jars);
            cluster.started.add(nats.main().handle());
            cluster.started.add(nats.edge().handle());
            cluster.startHub("main");
            cluster.startHub("edge");
            return cluster;
        } catch (IOException | RuntimeException e) {
            nats.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** Starts (or restarts) a hub process and waits until it is ready. */
    public HubProcess startHub(String hubId) {
        return startHub(hubId, Map.of());
    }

    /**
     * Starts (or restarts) a hub process with extra environment variables (e.g. {@code LD_PRELOAD}
     * for libfaketime) and waits until it is ready. A previous process of that hub is stopped first, and
     * the new one gets its HTTP port.
     */
    public HubProcess startHub(String hubId, Map<String, String> extraEnv) {
        HubProcess previous = hubs.get(hubId);
        if (previous != null) {
            keepLog(hubId, previous);
            previous.close();
        }
        try {
            Path config = writeConfig(hubId);
            Map<String, String> env = new HashMap<>(secrets);
            env.putAll(tokens.env());
            env.putAll(extraEnv);
            Set<Long> before = children();
            HubProcess hub;
            try {
                // a restarted hub keeps its HTTP port, as a service restarted on its machine keeps its
                // address: HTTP clients (the Python agents) come back to it without being told
                hub = previous == null ? HubProcess.start(jars.get(hubId), config, env, READY_WITHIN)
                        : HubProcess.start(jars.get(hubId), config, env, READY_WITHIN, previous.httpPort());
            } catch (RuntimeException notReady) {
                // HubProcess.start leaves a hub that did not become ready running: stop it here
                ProcessHandle.current().children().filter(p -> !before.contains(p.pid())).forEach(p -> {
                    started.add(p);
                    Signals.killTree(p);
                });
                throw notReady;
            }
            started.add(hub.handle());
            hub.useToken(tokens.operator());
            hubs.put(hubId, hub);
            return hub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A hub's config file, with the pools in force now. */
    private synchronized Path writeConfig(String hubId) throws IOException {
        String peer = ChaosCluster.peerOf(hubId);
        Path file = dir.resolve("hub-" + hubId + ".yml");
        Path tmp = dir.resolve("hub-" + hubId + ".yml.tmp");
        Files.writeString(tmp, """
                quotahub:
                  hub-id: %s
                  peer-id: %s
                  nats-url: %s
                  nats:
                    user-password-file: %s
                  takeover-after: 1500ms
                %s%s%s""".formatted(hubId, peer, nats.server(hubId).url(), nats.server(hubId).hubCredentials(), poolsYaml,
                extraYaml, HubTokens.configYaml()));
        // whole or not at all: a reload reading it meanwhile sees the old file or the new one
        return Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public synchronized void replacePools(String poolsYaml) {
        this.poolsYaml = poolsYaml;
        try {
            for (String hubId : HUBS) {
                writeConfig(hubId);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<Long> children() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).collect(java.util.stream.Collectors.toSet());
    }

    private void keepLog(String hubId, HubProcess hub) {
        String log = hub.log();
        hubLogs.merge(hubId, tail(log, 200_000), (a, b) -> tail(a + "\n---- restart ----\n" + b, 400_000));
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : s.substring(s.length() - max);
    }

    public HubProcess hub(String hubId) {
        return hubs.get(hubId);
    }

    public NatsPair nats() {
        return nats;
    }

    @Override
    public String token(String role) {
        return tokens.of(role);
    }

    /** The secrets (env name → value), e.g. for a provider simulator playing the same keys. */
    @Override
    public Map<String, String> secrets() {
        return Map.copyOf(secrets);
    }

    @Override
    public String[] agentServers(String localHubId) {
        String other = localHubId.equals("main") ? "edge" : "main";
        return new String[] {nats.server(localHubId).url(), nats.server(other).url()};
    }

    @Override
    public Path agentCredentials() {
        return nats.main().credentials(NatsServer.AGENT);
    }

    @Override
    public String natsUrl(String side) {
        return nats.server(side).url();
    }

    @Override
    public String hubUrl(String hubId) {
        return "http://127.0.0.1:" + hubs.get(hubId).httpPort();
    }

    @Override
    public void killHub(String hubId) {
        hubs.get(hubId).kill();
    }

    @Override
    public void restartHub(String hubId) {
        startHub(hubId);
    }

    /** Path of libfaketime when installed (Debian package {@code libfaketime}), else null. */
    public static Path libfaketime() {
        for (String p : List.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1")) {
            if (Files.isRegularFile(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    @Override
    public String clockSkewUnsupportedReason() {
        return libfaketime() == null ? "libfaketime is not installed (apt-get install libfaketime): the hub reads "
                + "Clock.systemUTC() and has no clock-offset setting, so a skewed hub clock cannot be injected otherwise" : null;
    }

    @Override
    public void restartHubWithClockOffset(String hubId, long offsetMillis) {
        Path lib = libfaketime();
        if (lib == null) {
            throw new IllegalStateException(clockSkewUnsupportedReason());
        }
        String offset = (offsetMillis >= 0 ? "+" : "-") + String.format("%.3fs", Math.abs(offsetMillis) / 1000.0);
        // Only the wall clock moves: the JVM's monotonic clock (nanoTime) stays true, as on a host
        // whose NTP is off by a few seconds.
        startHub(hubId, offsetMillis == 0 ? Map.of() : Map.of("LD_PRELOAD", lib.toString(), "FAKETIME", offset,
                "FAKETIME_DONT_FAKE_MONOTONIC", "1"));
    }

    @Override
    public boolean hubAlive(String hubId) {
        HubProcess hub = hubs.get(hubId);
        return hub != null && hub.isAlive();
    }

    @Override
    public void pauseHub(String hubId) {
        hubs.get(hubId).pause();
    }

    @Override
    public void resumeHub(String hubId) {
        hubs.get(hubId).resume();
    }

    @Override
    public void killNats(String side) {
        nats.server(side).kill();
    }

    @Override
    public void startNats(String side) {
        nats.server(side).startAgain();
        started.add(nats.server(side).handle());
    }

    @Override
    public void cutLink() {
        nats.link().cut();
    }

    @Override
    public void blackholeLink() {
        nats.link().blackhole();
    }

    @Override
    public void healLink() {
        nats.link().heal();
    }

    @Override
    public List<ProcessHandle> startedProcesses() {
        return List.copyOf(started);
    }

    @Override
    public void saveLogs(Path into) {
        try {
            Files.createDirectories(into);
            for (Map.Entry<String, HubProcess> e : hubs.entrySet()) {
                String earlier = hubLogs.getOrDefault(e.getKey(), "");
                Files.writeString(into.resolve("hub-" + e.getKey() + ".log"),
                        earlier + (earlier.isEmpty() ? "" : "\n---- restart ----\n") + tail(e.getValue().log(), 400_000));
            }
            for (String side : HUBS) {
                Files.writeString(into.resolve("nats-" + side + ".log"), tail(nats.server(side).log(), 400_000));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        hubs.values().forEach(HubProcess::close);
        nats.close();
        // anything else this cluster started (and its children) that is still running
        started.stream().filter(ProcessHandle::isAlive).forEach(Signals::killTree);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }
}
