package io.quotahub.chaos.cluster;

import io.quotahub.testkit.HubProcess;
import io.quotahub.testkit.NatsPair;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The real system on one host, as separate processes: two nats-servers (JetStream domains main
 * and edge, leafnode-linked through a cuttable proxy) and the two hub jars, each configured with
 * the other as its peer. Secrets are random, passed in the environment only. {@link #close()}
 * stops everything it started, also when a test failed.
 */
public final class ProcessCluster implements AutoCloseable {

    private static final Duration READY_WITHIN = Duration.ofSeconds(60);

    private final NatsPair nats;
    private final Path dir;
    private final String poolsYaml;
    private final Map<String, String> secrets;
    private final Map<String, HubProcess> hubs = new LinkedHashMap<>();
    private final Map<String, Path> jars;

    private ProcessCluster(NatsPair nats, Path dir, String poolsYaml, Map<String, String> secrets, Map<String, Path> jars) {
        this.nats = nats;
        this.dir = dir;
        this.poolsYaml = poolsYaml;
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
            ProcessCluster cluster = new ProcessCluster(nats, dir, poolsYaml + extraYaml, secrets, jars);
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
        String peer = hubId.equals("main") ? "edge" : "main";
        try {
            Path config = Files.writeString(dir.resolve("hub-" + hubId + ".yml"), """
                    quotahub:
                      hub-id: %s
                      peer-id: %s
                      nats-url: %s
                      takeover-after: 1500ms
                    %s""".formatted(hubId, peer, nats.server(hubId).url(), poolsYaml));
            HubProcess hub = HubProcess.start(jars.get(hubId), config, secrets, READY_WITHIN);
            hubs.put(hubId, hub);
            return hub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public HubProcess hub(String hubId) {
        return hubs.get(hubId);
    }

    public NatsPair nats() {
        return nats;
    }

    /** NATS URLs for an agent on a machine: its own server first, the other as fallback. */
    public String[] agentServers(String localHubId) {
        String other = localHubId.equals("main") ? "edge" : "main";
        return new String[] {nats.server(localHubId).url(), nats.server(other).url()};
    }

    /** The secrets (env name → value), e.g. for a provider simulator playing the same keys. */
    public Map<String, String> secrets() {
        return Map.copyOf(secrets);
    }

    @Override
    public void close() {
        hubs.values().forEach(HubProcess::close);
        nats.close();
    }
}
