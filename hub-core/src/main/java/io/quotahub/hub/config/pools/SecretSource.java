package io.quotahub.hub.config.pools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where a key's secret comes from: an environment variable ({@code secret-env}, preferred when
 * both are set) or a file ({@code secret-file}). Holds names and paths only, never the secret.
 */
public record SecretSource(String env, String file) {

    /** What reading the secret gave: its value (stripped of surrounding white space), or why not. */
    public sealed interface Outcome {
    }

    /** The secret's value; only the hub's {@code Secret} and the provider simulator hold it. */
    public record Read(String value) implements Outcome {
        @Override
        public String toString() {
            return "Read[…]";
        }
    }

    /** @param problem why the secret could not be read (names and paths, never a value) */
    public record Unreadable(String problem) implements Outcome {
    }

    /**
     * Reads the secret now (a reload reads it again).
     *
     * @param environment looks up environment variables ({@code System::getenv} in production)
     */
    public Outcome read(Function<String, String> environment) {
        if (env != null) {
            String value = environment.apply(env);
            return value == null || value.isBlank() ? new Unreadable("environment variable " + env + " is not set or empty")
                    : new Read(value.strip());
        }
        if (file == null) {
            return new Unreadable("neither secret-env nor secret-file is set");
        }
        String value;
        try {
            value = Files.readString(Path.of(file)).strip();
        } catch (IOException | SecurityException | java.nio.file.InvalidPathException e) {
            return new Unreadable("cannot read secret-file " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        return value.isEmpty() ? new Unreadable("secret-file " + file + " is empty") : new Read(value);
    }
}
