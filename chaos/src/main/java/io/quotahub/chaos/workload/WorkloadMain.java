package io.quotahub.chaos.workload;

import io.quotahub.chaos.Args;
import java.net.URI;
import java.time.Duration;

/**
 * {@code chaos.jar workload --nats URL --provider URL --pool demo --agents 3 [--duration SECONDS]
 * [--tokens 500] [--think-ms 100]}: runs the demo agents until the duration ends or the process is
 * stopped, printing a summary every 5 s and a final one.
 */
public final class WorkloadMain {

    private WorkloadMain() {
    }

    public static void run(Args args) throws Exception {
        Workload.Settings settings = new Workload.Settings(
                args.get("nats", "nats://127.0.0.1:4222"),
                URI.create(args.get("provider", "http://127.0.0.1:9300")),
                args.required("pool"),
                (int) args.getLong("agents", 3),
                args.getLong("tokens", 500),
                Duration.ofMillis(args.getLong("think-ms", 100)));
        long seconds = args.getLong("duration", 0);
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
