package io.quotahub.chaos.provider;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@code chaos.jar provider --port 9300 --config hub.yml [--host 127.0.0.1] [--latency-ms 20]}. */
public final class ProviderMain {

    /** The options (ChaosMain's usage text describes them). */
    @Command(name = "provider")
    public static final class Options {
        @Option(names = "--config", required = true)
        Path config;
        @Option(names = "--port")
        int port = 9300;
        @Option(names = "--host")
        String host = "127.0.0.1";
        @Option(names = "--latency-ms")
        long latencyMs;
    }

    private ProviderMain() {
    }

    public static void run(Options o) throws Exception {
        Path config = o.config;
        int port = o.port;
        String host = o.host;
        Duration latency = Duration.ofMillis(o.latencyMs);
        List<ProviderKey> keys = HubConfigKeys.load(config, w -> System.err.println("provider: WARN " + w));
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no usable key in " + config + " (see the warnings above)");
        }
        ProviderServer server = ProviderServer.start(keys, host, port, latency);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("provider: stopping; final stats " + ProviderServer.statsJson(server.limiter().stats()));
            server.close();
            stopped.countDown();
        }, "provider-shutdown"));
        StringBuilder limits = new StringBuilder();
        for (ProviderKey k : keys) {
            limits.append(' ').append(k.id()).append(k.limits().stream().map(Limit::label).toList());
        }
        System.out.println("provider simulator listening on http://" + host + ":" + server.port()
                + " (keys:" + limits + ", latency " + latency.toMillis() + " ms)");
        stopped.await();
    }
}
