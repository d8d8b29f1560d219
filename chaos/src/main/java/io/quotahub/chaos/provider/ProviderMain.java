package io.quotahub.chaos.provider;

import io.quotahub.chaos.Args;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@code chaos.jar provider --port 9300 --config hub.yml [--host 127.0.0.1] [--latency-ms 20]}. */
public final class ProviderMain {

    private ProviderMain() {
    }

    public static void run(Args args) throws Exception {
        Path config = Path.of(args.required("config"));
        int port = (int) args.getLong("port", 9300);
        String host = args.get("host", "127.0.0.1");
        Duration latency = Duration.ofMillis(args.getLong("latency-ms", 0));
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
