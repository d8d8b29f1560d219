package io.quotahub.chaos.containers;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.testkit.FreePorts;
import io.quotahub.testkit.HubTokens;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.toxiproxy.ToxiproxyContainer;
import org.testcontainers.utility.MountableFile;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The second backend: the same two sites in containers. {@code nats:2.10-alpine} per machine
 * (JetStream domains main and edge), the leafnode link through Toxiproxy (a clean cut disables
 * the proxy, a black hole adds a {@code timeout} toxic of 0 that swallows every byte), the hub jars
 * in {@code eclipse-temurin:17-jre}. NATS client ports are bound to fixed host ports so that a
 * restarted server keeps its address for the agents on the host.
 */
public final class ContainerCluster implements ChaosCluster {

    private static final String NATS_IMAGE = "nats:2.10-alpine";
    private static final String JRE_IMAGE = "eclipse-temurin:17-jre";
    private static final String TOXIPROXY_IMAGE = "ghcr.io/shopify/toxiproxy:2.5.0";
    private static final int LEAF_PROXY_PORT = 8666;

    private final Network network = Network.newNetwork();
    private final Map<String, GenericContainer<?>> nats = new HashMap<>();
    private final Map<String, Integer> natsHostPorts = new HashMap<>();
    private final Map<String, GenericContainer<?>> hubs = new HashMap<>();
    private final Map<String, String> secrets = new HashMap<>();
    private final HubTokens tokens = HubTokens.random();
    private final Map<String, Path> jars;
    private final String poolsYaml;
    private final ToxiproxyContainer toxiproxy;
    private Proxy link;

    private ContainerCluster(Path projectRoot, String poolsYaml, Iterable<String> secretEnvNames) {
        this.poolsYaml = poolsYaml;
        this.jars = Map.of("main", projectRoot.resolve("hub-main/target/hub-main.jar"),
                "edge", projectRoot.resolve("hub-edge/target/hub-edge.jar"));
        SecureRandom random = new SecureRandom();
        for (String name : secretEnvNames) {
            byte[] b = new byte[16];
            random.nextBytes(b);
            secrets.put(name, "sk-chaos-" + HexFormat.of().formatHex(b));
        }
        toxiproxy = new ToxiproxyContainer(TOXIPROXY_IMAGE).withNetwork(network).withNetworkAliases("toxiproxy");
    }

    /** Starts NATS, the link and both hubs; the caller closes it. */
    public static ContainerCluster start(Path projectRoot, String poolsYaml, Iterable<String> secretEnvNames, String extraYaml) {
        ContainerCluster c = new ContainerCluster(projectRoot, poolsYaml + extraYaml, secretEnvNames);
        try {
            c.toxiproxy.start();
            ToxiproxyClient client = new ToxiproxyClient(c.toxiproxy.getHost(), c.toxiproxy.getControlPort());
            c.link = client.createProxy("leaf", "0.0.0.0:" + LEAF_PROXY_PORT, "nats-main:7422");
            String leafPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
            c.startNatsContainer("main", """
                    leafnodes {
                      listen: "0.0.0.0:7422"
                      advertise: "toxiproxy:%d"
                      authorization { user: "qh-leaf", password: "%s" }
                    }
                    """.formatted(LEAF_PROXY_PORT, leafPassword));
            c.startNatsContainer("edge", """
                    leafnodes {
                      reconnect: 1
                      remotes: [ { url: "nats-leaf://qh-leaf:%s@toxiproxy:%d" } ]
                    }
                    """.formatted(leafPassword, LEAF_PROXY_PORT));
            c.startHubContainer("main");
            c.startHubContainer("edge");
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private void startNatsContainer(String side, String leafConfig) {
        int hostPort = natsHostPorts.computeIfAbsent(side, s -> FreePorts.next());
        String conf = """
                listen: "0.0.0.0:4222"
                server_name: "qh-%s"
                ping_interval: "1s"
                ping_max: 3
                jetstream { store_dir: "/data", domain: "%s" }
                %s""".formatted(side, side, leafConfig);
        GenericContainer<?> c = new GenericContainer<>(NATS_IMAGE)
                .withNetwork(network).withNetworkAliases("nats-" + side)
                .withCopyToContainer(Transferable.of(conf), "/etc/qh/nats.conf")
                .withCommand("-c", "/etc/qh/nats.conf")
                .withExposedPorts(4222)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindPort(hostPort), ExposedPort.tcp(4222))))
                .waitingFor(Wait.forLogMessage(".*Server is ready.*", 1));
        c.start();
        nats.put(side, c);
    }

    private void startHubContainer(String hubId) {
        String config = """
                quotahub:
                  hub-id: %s
                  peer-id: %s
                  nats-url: nats://nats-%s:4222
                  takeover-after: 1500ms
                %s%s""".formatted(hubId, ChaosCluster.peerOf(hubId), hubId, poolsYaml, HubTokens.configYaml());
        GenericContainer<?> c = new GenericContainer<>(JRE_IMAGE)
                .withNetwork(network).withNetworkAliases("hub-" + hubId)
                .withCopyFileToContainer(MountableFile.forHostPath(jars.get(hubId)), "/app/hub.jar")
                .withCopyToContainer(Transferable.of(config), "/app/hub.yml")
                .withEnv(secrets)
                .withEnv(tokens.env())   // with tokens the hub listens beyond the container's loopback
                .withEnv("MICRONAUT_CONFIG_FILES", "/app/hub.yml")
                .withEnv("MICRONAUT_SERVER_PORT", "9000")
                .withExposedPorts(9000)
                .withCommand("java", "-Xmx256m", "-XX:+UseSerialGC", "-jar", "/app/hub.jar")
                .waitingFor(Wait.forHttp("/health/readiness").forPort(9000).forStatusCode(200)
                        .withStartupTimeout(Duration.ofSeconds(120)));
        c.start();
        hubs.put(hubId, c);
    }

    private static void docker(String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            throw new IllegalStateException("docker " + what + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String[] agentServers(String side) {
        return new String[] {natsUrl(side), natsUrl(ChaosCluster.peerOf(side))};
    }

    /** The containers' nats-servers run without users (a test harness on a private Docker network). */
    @Override
    public Path agentCredentials() {
        return null;
    }

    @Override
    public String natsUrl(String side) {
        return "nats://" + DockerClientFactory.instance().dockerHostIpAddress() + ":" + natsHostPorts.get(side);
    }

    @Override
    public String token(String role) {
        return tokens.of(role);
    }

    @Override
    public String hubUrl(String hubId) {
        GenericContainer<?> c = hubs.get(hubId);
        return "http://" + c.getHost() + ":" + c.getMappedPort(9000);
    }

    @Override
    public Map<String, String> secrets() {
        return Map.copyOf(secrets);
    }

    @Override
    public void killHub(String hubId) {
        GenericContainer<?> c = hubs.get(hubId);
        docker("kill", () -> c.getDockerClient().killContainerCmd(c.getContainerId()).withSignal("KILL").exec());
    }

    @Override
    public void restartHub(String hubId) {
        GenericContainer<?> c = hubs.remove(hubId);
        if (c != null) {
            c.stop();
        }
        startHubContainer(hubId);
    }

    @Override
    public void restartHubWithClockOffset(String hubId, long offsetMillis) {
        throw new UnsupportedOperationException(clockSkewUnsupportedReason());
    }

    @Override
    public String clockSkewUnsupportedReason() {
        return "containers share the host kernel's clock (no per-container time namespace for CLOCK_REALTIME)";
    }

    @Override
    public boolean hubAlive(String hubId) {
        GenericContainer<?> c = hubs.get(hubId);
        return c != null && c.isRunning();
    }

    @Override
    public void pauseHub(String hubId) {
        GenericContainer<?> c = hubs.get(hubId);
        docker("pause", () -> c.getDockerClient().pauseContainerCmd(c.getContainerId()).exec());
    }

    @Override
    public void resumeHub(String hubId) {
        GenericContainer<?> c = hubs.get(hubId);
        docker("unpause", () -> c.getDockerClient().unpauseContainerCmd(c.getContainerId()).exec());
    }

    @Override
    public void killNats(String side) {
        GenericContainer<?> c = nats.get(side);
        docker("kill", () -> c.getDockerClient().killContainerCmd(c.getContainerId()).withSignal("KILL").exec());
    }

    @Override
    public void startNats(String side) {
        GenericContainer<?> c = nats.get(side);
        // the same container again: same store (/data inside it), same fixed host port
        docker("start", () -> c.getDockerClient().startContainerCmd(c.getContainerId()).exec());
    }

    @Override
    public void cutLink() {
        try {
            link.disable();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void blackholeLink() {
        try {
            link.toxics().timeout("blackhole-down", ToxicDirection.DOWNSTREAM, 0);
            link.toxics().timeout("blackhole-up", ToxicDirection.UPSTREAM, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void healLink() {
        try {
            for (var toxic : link.toxics().getAll()) {
                toxic.remove();
            }
            link.enable();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Containers are not host processes: nothing for the PID check; {@link #close()} removes them all. */
    @Override
    public List<ProcessHandle> startedProcesses() {
        return List.of();
    }

    /** Whether every container this cluster started is gone. */
    public boolean allStopped() {
        return hubs.values().stream().noneMatch(GenericContainer::isRunning)
                && nats.values().stream().noneMatch(GenericContainer::isRunning) && !toxiproxy.isRunning();
    }

    @Override
    public void saveLogs(Path dir) {
        try {
            Files.createDirectories(dir);
            for (var e : hubs.entrySet()) {
                Files.writeString(dir.resolve("hub-" + e.getKey() + ".log"), e.getValue().getLogs());
            }
            for (var e : nats.entrySet()) {
                Files.writeString(dir.resolve("nats-" + e.getKey() + ".log"), e.getValue().getLogs());
            }
        } catch (IOException | RuntimeException e) {
            // logs are a help, not a result
        }
    }

    @Override
    public void close() {
        for (GenericContainer<?> c : List.copyOf(hubs.values())) {
            c.stop();
        }
        for (GenericContainer<?> c : List.copyOf(nats.values())) {
            c.stop();
        }
        toxiproxy.stop();
        network.close();
    }
}
