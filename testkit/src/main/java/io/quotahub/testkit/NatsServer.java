package io.quotahub.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real {@code nats-server} process with JetStream on a free loopback port, for tests, the
 * chaos suite and benchmarks. It keeps its port and store directory across {@link #restart()},
 * so a restarted server has its streams back. Only processes this class started are ever stopped.
 *
 * <p>By default it runs with the production users and permissions, made by the shipped
 * {@code infra/nats/make-users}: the hub user of its {@linkplain Builder#hub(String) hub} and
 * the {@linkplain Builder#agents(String...) agent users}, whose credentials files
 * {@link #credentials(String)} gives. A client without credentials is the test's own superuser
 * {@value #TEST_ADMIN} (nats-server's {@code no_auth_user}), as an operator's tooling would be:
 * tests that plant or inspect state with a plain {@code Nats.connect(url())} keep working, while
 * hubs and agents given credentials run exactly as permitted in production.
 *
 * <pre>{@code
 * try (NatsServer nats = NatsServer.start()) {
 *     Connection admin = Nats.connect(nats.url());
 *     QuotaClient agent = QuotaClient.builder().servers(nats.url())
 *             .userPasswordFile(nats.credentials(NatsServer.AGENT)).build();
 * }
 * }</pre>
 */
public final class NatsServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    /** The superuser that clients without credentials become (test servers only). */
    public static final String TEST_ADMIN = "qh-test-admin";
    /** The default agent users of a test server: two, so tests can pit one against the other. */
    public static final String AGENT = "agent-a";
    public static final String OTHER_AGENT = "agent-b";

    private final Path dir;
    private final int port;
    private final String domain;
    private final String extraConfig;
    private final String securityConfig;
    private final String hub;
    private Process process;

    private NatsServer(Path dir, int port, String domain, String hub, String extraConfig, String securityConfig) {
        this.dir = dir;
        this.hub = hub;
        this.port = port;
        this.domain = domain;
        this.extraConfig = extraConfig;
        this.securityConfig = securityConfig;
    }

    /** Starts a JetStream server without a domain. */
    public static NatsServer start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Path of the nats-server binary: {@code $NATS_SERVER_BIN}, else the PATH, else /usr/sbin. */
    public static String binary() {
        String env = System.getenv("NATS_SERVER_BIN");
        if (env != null && !env.isBlank()) {
            return env;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nats-server"))) {
                return Path.of(dir, "nats-server").toString();
            }
        }
        return "/usr/sbin/nats-server";
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /**
     * The credentials file ({@code user:password}, 0600) of one of this server's users: its hub
     * ({@code "hub-main"}) or an agent user; the same for both servers of a {@link NatsPair}.
     *
     * @throws IllegalArgumentException if the server has no such user
     */
    public Path credentials(String user) {
        Path file = dir.resolve("nats").resolve(user + ".userpass");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no NATS user " + user + " on this test server (production users: hub-<id> and the builder's agents)");
        }
        return file;
    }

    /** Whether the server has the production users (no custom users were given to the builder). */
    public boolean hasProductionUsers() {
        return Files.isRegularFile(dir.resolve("nats").resolve("hub-" + hub + ".userpass"));
    }

    /** The credentials file of this server's hub user ({@code hub-<id>}). */
    public Path hubCredentials() {
        return credentials("hub-" + hub);
    }

    /** The hub id whose user this server has ({@code main} unless the builder said otherwise). */
    public String hubId() {
        return hub;
    }

    Path dir() {
        return dir;
    }

    public Path storeDir() {
        return dir.resolve("jetstream");
    }

    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    private synchronized void launch() {
        try {
            Path conf = dir.resolve("nats.conf");
            Files.writeString(conf, config());
            ProcessBuilder pb = new ProcessBuilder(binary(), "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("nats.log").toFile()));
            process = pb.start();
            awaitListening();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary() + " (install the Debian package nats-server)", e);
        }
    }

    private String config() {
        StringBuilder sb = new StringBuilder();
        sb.append("listen: \"127.0.0.1:").append(port).append("\"\n");
        sb.append("server_name: \"qh-test-").append(port).append("\"\n");
        sb.append("ping_interval: \"1s\"\nping_max: 3\n");
        sb.append("jetstream {\n  store_dir: \"").append(storeDir()).append("\"\n");
        if (domain != null) {
            sb.append("  domain: \"").append(domain).append("\"\n");
        }
        sb.append("}\n");
        sb.append(securityConfig);
        sb.append(extraConfig);
        return sb.toString();
    }

    private void awaitListening() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server exited with " + process.exitValue() + ": " + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(20);
            }
        }
        throw new IllegalStateException("nats-server did not listen on " + port + " within " + START_TIMEOUT + ": " + log());
    }

    /** The server's log so far (for failure messages). */
    public String log() {
        try {
            return Files.readString(dir.resolve("nats.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The running process (its handle knows its start time, so a reused PID is not mistaken for it). */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** Graceful stop (SIGTERM, SIGKILL after 10 s), waiting for the process to end. */
    public synchronized void stop() {
        if (process != null) {
            Signals.stopTree(process.toHandle(), Duration.ofSeconds(10));
        }
    }

    /** {@code kill -9}: the process dies at once; JetStream keeps what it acknowledged. */
    public synchronized void kill() {
        if (process != null) {
            Signals.killTree(process.toHandle());
        }
    }

    /** SIGSTOP: the server hangs with its connections open (acknowledgements stop coming). */
    public synchronized void pause() {
        Signals.stop(process.toHandle());
    }

    /** SIGCONT after {@link #pause()}. */
    public synchronized void resume() {
        Signals.cont(process.toHandle());
    }

    /** Starts the server again on the same port with the same store directory. */
    public synchronized void restart() {
        stop();
        launch();
    }

    /** Starts a stopped or killed server again. */
    public synchronized void startAgain() {
        if (!isRunning()) {
            launch();
        }
    }

    @Override
    public synchronized void close() {
        kill();
        reportViolations();
        deleteQuietly(dir);
    }

    /**
     * Prints the permission violations the server logged, so that a production user that needs a
     * permission it lacks shows in the test output (tests that provoke them on purpose print too).
     */
    private void reportViolations() {
        List<String> violations = log().lines().filter(l -> l.contains("Publish Violation") || l.contains("Subscription Violation") || l.contains("Permissions Violation")).limit(20).toList();
        if (!violations.isEmpty()) {
            System.err.println("nats-server " + url() + " (hub " + hub + ") logged permission violations:\n  " + String.join("\n  ", violations));
        }
    }

    private static void deleteQuietly(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            List<Path> all = new ArrayList<>(paths.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public static final class Builder {
        private String domain;
        private String extraConfig = "";
        private int port;
        private final List<String> users = new ArrayList<>();
        private String tls = "";
        private String hub;
        private List<String> agents = List.of(AGENT, OTHER_AGENT);
        private NatsServer sameAgentsAs;

        private Builder() {
        }

        /** JetStream domain of the server (e.g. "main"). */
        public Builder domain(String domain) {
            this.domain = domain;
            return this;
        }

        /** The hub whose production user the server has: {@code main} or {@code edge}; default: the domain, else main. */
        public Builder hub(String hubId) {
            this.hub = hubId;
            return this;
        }

        /** The production agent users (default {@value #AGENT} and {@value #OTHER_AGENT}). */
        public Builder agents(String... names) {
            this.agents = List.of(names);
            return this;
        }

        /** Gives the agent users the passwords they have on {@code other}: agents connect to both servers of a pair. */
        public Builder sameAgentsAs(NatsServer other) {
            this.sameAgentsAs = other;
            return this;
        }

        /** Fixed port; by default a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Raw nats-server configuration appended to the generated one (leafnodes, accounts...). */
        public Builder extraConfig(String extraConfig) {
            this.extraConfig = extraConfig;
            return this;
        }

        /**
         * Adds a user with a password (letters, digits and {@code -_.} only, as the config is not
         * escaped). With any user added this way (or by {@link #nkeyUser} / {@link #userEntry}), the
         * server has exactly these users instead of the production ones, and anonymous clients are
         * refused.
         */
        public Builder user(String name, String password) {
            users.add("    {user: \"" + plain(name) + "\", password: \"" + plain(password) + "\"}\n");
            return this;
        }

        /** Adds an nkey user by its public key ({@code U…}). */
        public Builder nkeyUser(String publicKey) {
            users.add("    {nkey: \"" + plain(publicKey) + "\"}\n");
            return this;
        }

        /** Adds a raw user entry of the {@code authorization.users} list (e.g. with permissions). */
        public Builder userEntry(String entry) {
            users.add("    " + entry + "\n");
            return this;
        }

        /**
         * Requires TLS on the client port with the server certificate of {@code certs}; with
         * {@code verifyClients}, clients must also present a certificate signed by its CA.
         */
        public Builder tls(TestCerts certs, boolean verifyClients) {
            tls = "tls {\n  cert_file: \"" + certs.serverCert() + "\"\n  key_file: \"" + certs.serverKey()
                    + "\"\n  ca_file: \"" + certs.caFile() + "\"\n  verify: " + verifyClients + "\n  timeout: 2\n}\n";
            return this;
        }

        private static String plain(String value) {
            if (!value.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("test credentials must be letters, digits and -_. only: " + value.length() + " chars");
            }
            return value;
        }

        public NatsServer start() {
            try {
                Path dir = Files.createTempDirectory("qh-nats-");
                String hubId = hub != null ? hub : domain != null ? domain : "main";
                String authorization = users.isEmpty()
                        ? ProductionUsers.write(dir, hubId, agents, sameAgentsAs == null ? null : sameAgentsAs.dir(), TEST_ADMIN)
                        : "authorization {\n  users = [\n" + String.join("", users) + "  ]\n}\n";
                NatsServer server = new NatsServer(dir, port == 0 ? FreePorts.next() : port, domain, hubId, extraConfig, authorization + tls);
                server.launch();
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
