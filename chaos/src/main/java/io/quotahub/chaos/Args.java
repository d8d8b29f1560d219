package io.quotahub.chaos;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} options of a sub-command. */
public final class Args {

    private final Map<String, String> values = new HashMap<>();

    private Args() {
    }

    /**
     * @throws IllegalArgumentException on an option without a value or a stray argument
     */
    public static Args parse(String[] argv, int from) {
        Args a = new Args();
        for (int i = from; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            int eq = name.indexOf('=');
            if (eq >= 0) {
                a.values.put(name.substring(0, eq), name.substring(eq + 1));
            } else {
                if (i + 1 >= argv.length) {
                    throw new IllegalArgumentException("option --" + name + " needs a value");
                }
                a.values.put(name, argv[++i]);
            }
        }
        return a;
    }

    public String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    /** @throws IllegalArgumentException if the option is missing */
    public String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("option --" + name + " is required");
        }
        return v;
    }

    /** @throws IllegalArgumentException if the value is not a whole number */
    public long getLong(String name, long dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option --" + name + " must be a whole number, was '" + v + "'");
        }
    }
}
