package io.quotahub.chaos.suite;

import io.quotahub.chaos.Cli;
import io.quotahub.chaos.cluster.ProcessCluster;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.report.Report;
import io.quotahub.testkit.Signals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code chaos.jar suite}: starts the process cluster, runs a profile's scenarios, stops every
 * process it started (and checks that none is left), prints the table and writes the report.
 */
public final class SuiteMain {

    public static final String USAGE = """
              suite     [--full] [--scenario NAME] [--seed N] [--duration SECONDS] [--project-root .]
                        [--report-dir chaos/target/chaos-report]
                        the chaos suite: both hubs and nats-servers as processes, agents, faults,
                        an independent checker; exit 0 when every scenario passed
            """;

    /** The SDK logs every reconnect at INFO: thousands of lines in a run with faults. */
    private static final java.util.logging.Logger SDK_LOG = java.util.logging.Logger.getLogger("io.quotahub.agent");

    private SuiteMain() {
    }

    /** The outcome of a run. */
    public record Outcome(Report report, Path reportDir) {
    }

    /** The options ({@link #USAGE}). */
    @Command(name = "suite")
    static final class Options {
        @Option(names = "--full")
        boolean full;
        @Option(names = "--scenario")
        String scenario;
        @Option(names = "--seed")
        Long seed;
        @Option(names = "--duration")
        long durationSeconds = 1800;
        @Option(names = "--project-root")
        Path projectRoot = Path.of(".");
        @Option(names = "--report-dir")
        Path reportDir;
    }

    public static int run(String[] argv, int from) throws IOException {
        Options args = Cli.parse(new Options(), argv, from);
        Path root = args.projectRoot.toAbsolutePath().normalize();
        long seed = args.seed != null ? args.seed : System.currentTimeMillis() % 1_000_000;
        Profile profile = args.full ? Profile.full(args.durationSeconds) : Profile.quick();
        if (args.scenario != null) {
            profile = profile.only(args.scenario);
        }
        Path reportDir = args.reportDir != null ? args.reportDir : root.resolve("chaos/target/chaos-report");
        Outcome o = run(root, profile, seed, reportDir);
        return o.report().passed() ? 0 : 1;
    }

    /** Runs a profile on a fresh process cluster built from the jars under {@code root}. */
    public static Outcome run(Path root, Profile profile, long seed, Path reportDir) throws IOException {
        SDK_LOG.setLevel(java.util.logging.Level.WARNING);
        Set<Long> before = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(java.util.stream.Collectors.toSet());
        long t0 = Clock.now();
        log("chaos suite: profile " + profile.name() + ", seed " + seed + ", scenarios " + profile.scenarios()
                + " (replay with --seed " + seed + ")");
        log("starting two nats-servers and both hubs (" + root + ")");
        ProcessCluster cluster = ProcessCluster.start(root, Suite.POOLS, Suite.SECRET_ENVS, Suite.EXTRA);
        AtomicBoolean closed = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (closed.compareAndSet(false, true)) {
                cluster.close();
            }
        }, "chaos-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        List<ScenarioResult> results;
        List<Fault> faults;
        List<Recorder.LeaseRec> leases;
        try (Suite suite = new Suite(cluster, root, profile, seed, SuiteMain::log)) {
            results = suite.run();
            faults = suite.nemesis().faults();
            leases = suite.recorder().leases();
        } finally {
            cluster.saveLogs(reportDir.resolve("logs"));
            if (closed.compareAndSet(false, true)) {
                cluster.close();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs or ran
            }
        }
        List<ProcessHandle> processes = new ArrayList<>(cluster.startedProcesses());
        // whatever this JVM started, tracked or not (e.g. a hub that never became ready), and their children
        ProcessHandle.current().descendants().filter(p -> !before.contains(p.pid())).filter(p -> p.info().command()
                .map(SuiteMain::suiteProcess).orElse(false))
                .filter(p -> processes.stream().noneMatch(q -> q.equals(p))).forEach(processes::add);
        List<ProcessHandle> withChildren = new ArrayList<>(processes);
        processes.forEach(p -> p.descendants().filter(c -> !withChildren.contains(c)).forEach(withChildren::add));
        List<Long> left = leftRunning(withChildren);
        int pidsStarted = withChildren.size();
        Report report = new Report(profile.name(), seed, t0, Clock.now(), results, faults, left, pidsStarted);
        report.write(reportDir, leases);
        System.out.print(report.table());
        log("report: " + reportDir.resolve("chaos-report.json") + ", " + reportDir.resolve("timeline.png"));
        return new Outcome(report, reportDir);
    }

    /** Whether a command is one the suite starts: java (hubs), nats-server, node and python (cross-language agents). */
    static boolean suiteProcess(String command) {
        String name = Path.of(command).getFileName().toString();
        return name.equals("java") || name.equals("nats-server") || name.startsWith("node") || name.startsWith("python");
    }

    /**
     * The processes that still run after a grace period of 5 s, by PID. Each is named in the log and
     * then killed with its children, so a failed run leaves nothing behind either.
     */
    static List<Long> leftRunning(List<ProcessHandle> processes) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<ProcessHandle> left;
        do {
            left = processes.stream().filter(ProcessHandle::isAlive).toList();
            if (left.isEmpty()) {
                return List.of();
            }
            Clock.sleep(100);
        } while (System.nanoTime() < deadline);
        for (ProcessHandle p : left) {
            log("left running: pid " + p.pid() + " parent " + p.parent().map(ProcessHandle::pid).orElse(-1L) + ": "
                    + p.info().commandLine().orElse("?"));
            Signals.killTree(p);
        }
        return left.stream().map(ProcessHandle::pid).sorted().toList();
    }

    private static void log(String line) {
        System.out.printf("[chaos %s] %s%n", java.time.LocalTime.now().withNano(0), line);
    }
}
