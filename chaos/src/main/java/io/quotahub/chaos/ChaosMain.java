package io.quotahub.chaos;

import io.quotahub.chaos.provider.ProviderMain;
import io.quotahub.chaos.stranger.StrangerMain;
import io.quotahub.chaos.suite.SuiteMain;
import io.quotahub.chaos.workload.WorkloadMain;

/** Entry point of {@code chaos.jar}: dispatches sub-commands; each parses its options with picocli ({@link Cli}). */
public final class ChaosMain {

    private static final String USAGE = """
            usage: java -jar chaos.jar <command> [options]
              provider  --config hub.yml [--port 9300] [--host 127.0.0.1] [--latency-ms 0]
                        a simulated LLM API with strict sliding-window limits per key (secrets from the
                        config's secret-env / secret-file)
              workload  --pool demo [--nats nats://127.0.0.1:4222] [--provider http://127.0.0.1:9300]
                        [--agents 3] [--duration SECONDS] [--tokens 500] [--think-ms 100] [--verbose true]
                        [--nats-user-password-file FILE] [--push-gateway HOST:PORT]
                        agents that lease keys through the SDK and call the provider with them
            """ + StrangerMain.USAGE + SuiteMain.USAGE;

    private ChaosMain() {
    }

    public static void main(String[] argv) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            System.out.print(USAGE);
            return;
        }
        try {
            switch (argv[0]) {
                case "suite" -> System.exit(SuiteMain.run(argv, 1));
                case "provider" -> ProviderMain.run(Cli.parse(new ProviderMain.Options(), argv, 1));
                case "workload" -> WorkloadMain.run(Cli.parse(new WorkloadMain.Options(), argv, 1));
                case "stranger" -> System.exit(StrangerMain.run(Cli.parse(new StrangerMain.Options(), argv, 1)));
                default -> throw new IllegalArgumentException("unknown command '" + argv[0] + "'");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
        } catch (Exception e) {
            System.err.println("chaos " + argv[0] + " failed: " + e);
            System.exit(1);
        }
    }
}
