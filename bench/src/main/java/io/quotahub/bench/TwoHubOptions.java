package io.quotahub.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** The options of {@link TwoHubBench} (docs/benchmarks.md, "Commands"). */
@Command(name = "TwoHubBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Two hubs on this machine: replication lag, failover gap (kill -9, SIGSTOP), split convergence, "
                + "acquire cost of the second hub, rebalance time.")
final class TwoHubOptions {

    @Option(names = "--main-jar", paramLabel = "PATH", description = "default: ${DEFAULT-VALUE}")
    Path mainJar = Path.of("hub-main/target/hub-main.jar");
    @Option(names = "--edge-jar", paramLabel = "PATH", description = "default: ${DEFAULT-VALUE}")
    Path edgeJar = Path.of("hub-edge/target/hub-edge.jar");
    @Option(names = "--out", paramLabel = "DIR", description = "default: ${DEFAULT-VALUE}")
    Path out = Path.of("bench/results");
    @Option(names = "--lag-grants", paramLabel = "N")
    int lagGrants = 3000;
    @Option(names = "--lag-rate", paramLabel = "PER_S")
    int lagRate = 300;
    @Option(names = "--samples", paramLabel = "N")
    int samples = 10000;
    @Option(names = "--warmup", paramLabel = "N")
    int warmup = 5000;
    @Option(names = "--rounds", paramLabel = "N")
    int rounds = 4;
    @Option(names = "--kill-reps", paramLabel = "N")
    int killReps = 3;
    @Option(names = "--hang-reps", paramLabel = "N")
    int hangReps = 3;
    @Option(names = "--hang-seconds", paramLabel = "N")
    int hangSeconds = 6;
    @Option(names = "--split-reps", paramLabel = "N")
    int splitReps = 2;
    @Option(names = "--split-seconds", paramLabel = "N")
    int splitSeconds = 4;
    @Option(names = "--rebalance-reps", paramLabel = "N")
    int rebalanceReps = 3;
    @Option(names = "--rebalance-pause-ms", paramLabel = "N")
    int rebalancePauseMs = 10;
    @Option(names = "--latency-cut", paramLabel = "true|false", arity = "1")
    boolean latencyCut = true;
    @Option(names = "--only", paramLabel = "lag,latency,split,kill,hang,rebalance", split = ",")
    List<String> only;

    Path mainJar() {
        return mainJar.toAbsolutePath();
    }

    Path edgeJar() {
        return edgeJar.toAbsolutePath();
    }

    boolean enabled(String part) {
        return only == null || only.contains(part);
    }
}
