package io.quotahub.chaos;

import picocli.CommandLine;

/** Parses a sub-command's {@code --name value} options into its picocli {@code @Command} object. */
public final class Cli {

    private Cli() {
    }

    /**
     * Fills {@code options} from {@code argv[from..]}; the last of a repeated option wins.
     *
     * @throws IllegalArgumentException on an unknown option, an option without a value, a value of the wrong kind, a
     *                                  missing required option or a stray argument
     */
    public static <T> T parse(T options, String[] argv, int from) {
        String[] rest = java.util.Arrays.copyOfRange(argv, from, argv.length);
        CommandLine cl = new CommandLine(options).setOverwrittenOptionsAllowed(true);
        try {
            cl.parseArgs(rest);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return options;
    }
}
