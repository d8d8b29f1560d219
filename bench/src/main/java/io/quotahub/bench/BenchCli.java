package io.quotahub.bench;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --name value} options of the benchmarks whose code reads them by name
 * ({@link Throughput}, {@link RedisPeer}, {@link Scale}, {@link LedgerReadModes},
 * {@link AcquireLatencyBench}), declared and parsed with picocli: an unknown option, a missing value or
 * a stray argument prints the usage and exits 1; {@code --help} prints it and exits 0.
 */
final class BenchCli {

    private BenchCli() {
    }

    /**
     * @param command  the benchmark's name, for the usage
     * @param declared each option as {@code name=default} (the default only shows in the usage; the
     *                 code keeps its own) or {@code name} (no default)
     * @return the options given, by name without {@code --}, the last value of a repeated one
     */
    static Map<String, String> parse(String command, String[] args, String... declared) {
        CommandSpec spec = CommandSpec.create().name(command);
        spec.mixinStandardHelpOptions(true);
        for (String d : declared) {
            int eq = d.indexOf('=');
            String name = eq < 0 ? d : d.substring(0, eq);
            OptionSpec.Builder o = OptionSpec.builder("--" + name).type(String.class).paramLabel("<" + name + ">");
            if (eq >= 0) {
                o.description("default: " + d.substring(eq + 1));
            }
            spec.addOption(o.build());
        }
        CommandLine cl = new CommandLine(spec).setOverwrittenOptionsAllowed(true);
        ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(command + ": " + e.getMessage());
            cl.usage(System.err);
            System.exit(1);
            throw e;
        }
        if (cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
            cl.usage(System.out);
            System.exit(0);
        }
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec o : parsed.matchedOptions()) {
            List<String> values = o.originalStringValues();
            given.put(o.longestName().substring(2), values.get(values.size() - 1));
        }
        return given;
    }
}
