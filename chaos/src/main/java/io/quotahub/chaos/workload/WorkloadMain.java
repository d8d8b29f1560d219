package io.quotahub.chaos.workload;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code chaos.jar workload --nats URL[,URL…] --provider URL --pool demo --agents 3 [--duration SECONDS]
 * [--tokens 500] [--think-ms 100] [--agent-prefix demo-agent] [--nats-user-password-file FILE] [--push-gateway HOST:PORT]
 * [--verbose true]}:
 * runs the demo agents (as the NATS user of FILE, one line {@code user:password}) until
 * the duration ends or the process is stopped, printing a summary every 5 s and a final one. {@code --nats} takes several servers, the local
 * one first ({@code nats://127.0.0.1:4222,nats://127.0.0.1:4223}); the agents fail over down the list.
 */
public final class WorkloadMain {

    // Held strongly: JUL forgets the level of a logger nobody references.
    private static final Logger SDK_LOG = Logger.getLogger("io.quotahub.agent");
    private static final Logger NATS_LOG = Logger.getLogger("io.nats");

    /** The options (ChaosMain's usage text describes them). */
    @Command(name = "workload")
    public static final class Options {
        @Option(names = "--nats")
        String nats = "nats://127.0.0.1:4222";
        @Option(names = "--provider")
        URI provider = URI.create("http://127.0.0.1:9300");
        @Option(names = "--pool", required = true)
        String pool;
        @Option(names = "--agents")
        int agents = 3;
        @Option(names = "--tokens")
        long tokens = 500;
        @Option(names = "--think-ms")
        long thinkMs = 100;
        @Option(names = "--agent-prefix")
        String agentPrefix = "demo-agent";
        @Option(names = "--nats-user-password-file")
        Path natsUserPasswordFile;
        @Option(names = "--duration")
        long durationSeconds;
        /** The machine's Pushgateway ({@code host:port}) for the agents' metrics; none by default. */
        @Option(names = "--push-gateway")
        String pushGateway;
        /** Exactly {@code true} turns the SDK's and jnats' INFO lines on. */
        @Option(names = "--verbose")
        String verbose = "false";
    }

    private WorkloadMain() {
    }

    public static void run(Options o) throws Exception {
        Workload.Settings settings = new Workload.Settings(o.nats, o.provider, o.pool, o.agents, o.tokens,
                Duration.ofMillis(o.thinkMs), o.agentPrefix, o.natsUserPasswordFile, o.pushGateway);
        long seconds = o.durationSeconds;
        if (!"true".equals(o.verbose)) {
            // The SDK's INFO lines (connection opened/closed) would drown the progress lines.
            SDK_LOG.setLevel(Level.WARNING);
            NATS_LOG.setLevel(Level.WARNING);
        }
        Workload workload = new Workload(settings, System.out::println);
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            workload.stop();
            try {
                main.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "workload-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        workload.run(seconds > 0 ? Duration.ofSeconds(seconds) : null);
    }
}
