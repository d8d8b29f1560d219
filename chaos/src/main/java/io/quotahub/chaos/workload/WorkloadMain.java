package io.quotahub.chaos.workload;

import io.quotahub.chaos.Args;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code chaos.jar workload --nats URL[,URL…] --provider URL --pool demo --agents 3 [--duration SECONDS]
 * [--tokens 500] [--think-ms 100] [--agent-prefix demo-agent] [--nats-user-password-file FILE] [--verbose true]}:
 * runs the demo agents (as the NATS user of FILE, one line {@code user:password}) until
 * the duration ends or the process is stopped, printing a summary every 5 s and a final one. {@code --nats} takes several servers, the local
 * one first ({@code nats://127.0.0.1:4222,nats://127.0.0.1:4223}); the agents fail over down the list.
 */
public final class WorkloadMain {

    // Held strongly: JUL forgets the level of a logger nobody references.
    private static final Logger SDK_LOG = Logger.getLogger("io.quotahub.agent");
    private static final Logger NATS_LOG = Logger.getLogger("io.nats");

    private WorkloadMain() {
    }

    public static void run(Args args) throws Exception {
        String natsUser = args.get("nats-user-password-file", null);
        Workload.Settings settings = new Workload.Settings(
                args.get("nats", "nats://127.0.0.1:4222"),
                URI.create(args.get("provider", "http://127.0.0.1:9300")),
                args.required("pool"),
                (int) args.getLong("agents", 3),
                args.getLong("tokens", 500),
                Duration.ofMillis(args.getLong("think-ms", 100)),
                args.get("agent-prefix", "demo-agent"),
                natsUser == null ? null : Path.of(natsUser));
        long seconds = args.getLong("duration", 0);
        if (!"true".equals(args.get("verbose", "false"))) {
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
